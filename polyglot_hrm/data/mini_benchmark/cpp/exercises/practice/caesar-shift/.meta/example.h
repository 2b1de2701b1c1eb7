#if !defined(CAESAR_SHIFT_H)
#define CAESAR_SHIFT_H

#include <string>

namespace caesar_shift {

std::string shift(const std::string& text, int amount);

}  // namespace caesar_shift

#endif  // CAESAR_SHIFT_H
