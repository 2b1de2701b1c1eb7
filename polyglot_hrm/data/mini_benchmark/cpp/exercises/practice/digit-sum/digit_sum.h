#if !defined(DIGIT_SUM_H)
#define DIGIT_SUM_H

#include <stdexcept>

namespace digit_sum {

int compute(long long number);

}  // namespace digit_sum

#endif  // DIGIT_SUM_H
