// placeholder: filled in by the tests of this area
#include <catch2/catch.hpp>
