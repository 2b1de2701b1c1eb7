#include "caesar_shift.h"

namespace caesar_shift {

std::string shift(const std::string& text, int amount) {
    std::string result = text;
    for (char& c : result) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>('a' + ((c - 'a' + amount) % 26 + 26) % 26);
        } else if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>('A' + ((c - 'A' + amount) % 26 + 26) % 26);
        }
    }
    return result;
}

}  // namespace caesar_shift
