#include "caesar_shift.h"

namespace caesar_shift {

std::string shift([[maybe_unused]] const std::string& text, [[maybe_unused]] int amount) {
    return {};
}

}  // namespace caesar_shift
