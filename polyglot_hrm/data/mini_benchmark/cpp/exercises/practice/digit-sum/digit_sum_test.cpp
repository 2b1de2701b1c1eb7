#include "digit_sum.h"
#ifdef EXERCISM_TEST_SUITE
#include <catch2/catch.hpp>
#else
#include "test/catch.hpp"
#endif

TEST_CASE("single digit", "[491a5b57-2e51-53c0-9717-29ff2c898188]") {
    REQUIRE(digit_sum::compute(7) == 7);
}

#if defined(EXERCISM_RUN_ALL_TESTS)

TEST_CASE("several digits", "[8f4c546d-7033-51b1-8c94-6616126425b4]") {
    REQUIRE(digit_sum::compute(123) == 6);
}

TEST_CASE("repeated nines", "[7c879c40-8674-577b-8021-28dcab0dd9fd]") {
    REQUIRE(digit_sum::compute(9999) == 36);
}

TEST_CASE("zeros inside the number", "[405b0b3a-9bd9-59b8-86d8-0817bf135b6b]") {
    REQUIRE(digit_sum::compute(1000203) == 6);
}

TEST_CASE("large number", "[c30696ed-28a2-5451-8ef1-053834ddc1e9]") {
    REQUIRE(digit_sum::compute(987654321) == 45);
}

TEST_CASE("negative number is rejected", "[94478f01-5e11-5a89-8e32-a899539b32b4]") {
    REQUIRE_THROWS_AS(digit_sum::compute(-12), std::domain_error);
}

#endif
