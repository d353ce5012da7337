#include <catch2/catch.hpp>

#include <vector>

#include "media/MixMinus.h"

using namespace mixmeet::media;

TEST_CASE("each listener hears the sum minus their own input", "[mixminus]") {
    std::vector<int16_t> a{100, -200, 300}, b{10, 20, 30}, c{1, 2, 3};
    std::vector<int32_t> sum(3, 0);
    accumulate(sum, a);
    accumulate(sum, b);
    accumulate(sum, c);
    std::vector<int16_t> out(3);
    mixMinus(sum, a, out);
    CHECK(out == std::vector<int16_t>{11, 22, 33});
    mixMinus(sum, b, out);
    CHECK(out == std::vector<int16_t>{101, -198, 303});
    mixMinus(sum, {}, out);  // a listener without input hears everyone
    CHECK(out == std::vector<int16_t>{111, -178, 333});
}

TEST_CASE("the wide sum clips once, after subtraction", "[mixminus]") {
    std::vector<int16_t> loud(2, 30000), other(2, 30000), quiet(2, 5);
    std::vector<int32_t> sum(2, 0);
    accumulate(sum, loud);
    accumulate(sum, other);
    accumulate(sum, quiet);
    std::vector<int16_t> out(2);
    mixMinus(sum, loud, out);  // 30005: no clipping distortion from the subtracted input
    CHECK(out[0] == 30005);
    mixMinus(sum, quiet, out);  // 60000 clips to the int16 maximum
    CHECK(out[0] == INT16_MAX);
    std::vector<int16_t> neg(2, -30000);
    std::vector<int32_t> nsum(2, 0);
    accumulate(nsum, neg);
    accumulate(nsum, neg);
    mixMinus(nsum, {}, out);
    CHECK(out[0] == INT16_MIN);
}

TEST_CASE("the input FIFO pads underruns with silence", "[mixminus]") {
    AudioFifo f(4, 8);
    std::vector<int16_t> in{1, 2, 3};
    f.push(in);
    std::vector<int16_t> out(5);
    CHECK(f.pop(out) == 3);
    CHECK(out == std::vector<int16_t>{1, 2, 3, 0, 0});
    CHECK(f.size() == 0);
}

TEST_CASE("the input FIFO bounds latency by dropping the oldest samples", "[mixminus]") {
    AudioFifo f(4, 8);
    std::vector<int16_t> in{1, 2, 3, 4, 5, 6, 7, 8, 9};
    f.push(in);  // 9 > max 8: trimmed to the newest 4
    CHECK(f.size() == 4);
    CHECK(f.dropped() == 5);
    std::vector<int16_t> out(4);
    f.pop(out);
    CHECK(out == std::vector<int16_t>{6, 7, 8, 9});
}
