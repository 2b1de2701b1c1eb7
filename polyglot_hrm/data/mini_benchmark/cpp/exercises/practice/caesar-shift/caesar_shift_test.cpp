#include "caesar_shift.h"
#ifdef EXERCISM_TEST_SUITE
#include <catch2/catch.hpp>
#else
#include "test/catch.hpp"
#endif

TEST_CASE("shift by one", "[22f2b69e-68d6-5427-991c-df890e572553]") {
    REQUIRE(caesar_shift::shift("abc", 1) == "bcd");
}

#if defined(EXERCISM_RUN_ALL_TESTS)

TEST_CASE("wraps around the end of the alphabet", "[06aa07fa-cdeb-53f0-b10f-1eae235444f2]") {
    REQUIRE(caesar_shift::shift("xyz", 3) == "abc");
}

TEST_CASE("keeps case and leaves other characters alone", "[cf2edf4e-0ad1-51bb-ae6a-ce5ab0e52c50]") {
    REQUIRE(caesar_shift::shift("Hello, World!", 5) == "Mjqqt, Btwqi!");
}

TEST_CASE("negative shift moves backwards", "[885e6003-824a-5a5b-827e-e49300b62ed7]") {
    REQUIRE(caesar_shift::shift("Bad", -1) == "Azc");
}

TEST_CASE("shift larger than the alphabet", "[88d52f9d-54b2-55e7-b7e2-c8fbd2b003d1]") {
    REQUIRE(caesar_shift::shift("Zoo", 27) == "App");
}

TEST_CASE("digits and spaces are unchanged", "[ca69b539-635b-578f-933f-c5ea0f17ea79]") {
    REQUIRE(caesar_shift::shift("2 be", 13) == "2 or");
}

#endif
