#include "digit_sum.h"

namespace digit_sum {

int compute(long long number) {
    if (number < 0) {
        throw std::domain_error("number must be non-negative");
    }
    int total = 0;
    for (; number > 0; number /= 10) {
        total += static_cast<int>(number % 10);
    }
    return total;
}

}  // namespace digit_sum
