#include "digit_sum.h"

namespace digit_sum {

int compute([[maybe_unused]] long long number) {
    return 0;
}

}  // namespace digit_sum
