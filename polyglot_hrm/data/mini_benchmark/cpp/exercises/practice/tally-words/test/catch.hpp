// This project does not vendor Catch2: this shim forwards to the system-wide
// Catch2 v2 single header (e.g. Debian/Ubuntu package `catch2`, 2.13.x).
#include <catch2/catch.hpp>
