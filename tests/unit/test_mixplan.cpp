#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "media/MixMinus.h"
#include "media/MixPlan.h"
#include "media/SpeakerSelector.h"

using namespace mixmeet::media;
using Ids = std::set<std::string>;

namespace {
/// What listener `id` receives on tick `t`, mixed as AudioMixer does: the shared sum, or its
/// private sum - own when it is switched to that. Input i is a constant 1 << i, so the bits of
/// the result say whose voices are in it.
int32_t received(const MixPlan::Tick& t, const std::vector<std::string>& all,
                 const std::string& id) {
    std::vector<int32_t> sum(1, 0);
    int16_t own = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const auto value = static_cast<int16_t>(1 << i);
        if (t.summed.count(all[i])) {
            const std::vector<int16_t> frame(1, value);
            accumulate(sum, frame);
        }
        if (all[i] == id) own = value;
    }
    std::vector<int16_t> out(1);
    std::vector<int16_t> ownFrame(1, own);
    mixMinus(sum,
             t.onShared(id) || !t.summed.count(id) ? std::span<const int16_t>()
                                                   : std::span<const int16_t>(ownFrame),
             out);
    return out[0];
}

std::vector<std::string> names(int n) {
    std::vector<std::string> v;
    for (int i = 0; i < n; ++i) v.push_back("p" + std::to_string(i));
    return v;
}
}  // namespace

TEST_CASE("a new speaker's input enters the sum on the tick its private mix goes out",
          "[mixplan]") {
    MixPlan plan(1);
    const Ids listeners{"a", "b", "c"};
    auto t = plan.update({}, listeners, 10);
    CHECK(t.summed.empty());
    CHECK(t.privateEncodes() == 0);
    // Tick 11: a talks. Its private encoder warms up; it still hears the shared stream, which
    // does not hold its voice yet.
    t = plan.update({"a"}, listeners, 11);
    CHECK(t.warming == Ids{"a"});
    CHECK(t.privateSent.empty());
    CHECK(t.summed.empty());
    CHECK(t.onShared("a"));
    CHECK(MixPlan::holds(t, listeners));
    // Tick 12: a is switched to its private mix-minus, and only now summed.
    t = plan.update({"a"}, listeners, 12);
    CHECK(t.privateSent == Ids{"a"});
    CHECK(t.summed == Ids{"a"});
    CHECK(t.warming.empty());
    CHECK_FALSE(t.onShared("a"));
    CHECK(t.onShared("b"));
    CHECK(MixPlan::holds(t, listeners));
    // Tick 13: a stops being a speaker: out of the sum on the same tick it is back on shared.
    t = plan.update({}, listeners, 13);
    CHECK(t.summed.empty());
    CHECK(t.onShared("a"));
}

TEST_CASE("a speaker who pauses warms up again", "[mixplan]") {
    MixPlan plan(1);
    const Ids listeners{"a"};
    plan.update({"a"}, listeners, 1);
    CHECK(plan.update({"a"}, listeners, 2).privateSent == Ids{"a"});
    plan.update({}, listeners, 3);
    auto t = plan.update({"a"}, listeners, 4);
    CHECK(t.warming == Ids{"a"});
    CHECK(t.summed.empty());
    CHECK(plan.update({"a"}, listeners, 5).summed == Ids{"a"});
}

TEST_CASE("longer warm-ups hold the input out of the sum for as long", "[mixplan]") {
    MixPlan plan(3);
    const Ids listeners{"a", "b"};
    for (uint64_t tick = 0; tick < 3; ++tick) {
        auto t = plan.update({"a"}, listeners, tick);
        CHECK(t.summed.empty());
        CHECK(t.warming == Ids{"a"});
    }
    CHECK(plan.update({"a"}, listeners, 3).summed == Ids{"a"});
}

TEST_CASE("an input without a listener is summed at once; when it connects it warms up first",
          "[mixplan]") {
    MixPlan plan(1);
    auto t = plan.update({"a"}, {"b"}, 1);
    CHECK(t.summed == Ids{"a"});
    CHECK(t.privateEncodes() == 0);
    // a's output appears (ICE connected): it would hear the shared stream this tick, so a
    // leaves the sum until its private branch is live.
    t = plan.update({"a"}, {"a", "b"}, 2);
    CHECK(t.summed.empty());
    CHECK(t.warming == Ids{"a"});
    CHECK(MixPlan::holds(t, {"a", "b"}));
    CHECK(plan.update({"a"}, {"a", "b"}, 3).summed == Ids{"a"});
}

TEST_CASE("every mixed talker gets its own encode: 4, 5, 6 and 9 talking at once",
          "[mixplan][mixminus]") {
    // The speakers are the mixed inputs (max_mixed 5): the sum never holds more, and each of
    // them is on its private mix-minus; everyone else shares one encode of the sum.
    for (int talkers : {4, 5, 6, 9}) {
        INFO(talkers << " talkers");
        const auto all = names(talkers + 2);  // plus two silent listeners
        SpeakerSelector selector(SpeakerSelector::Config{.maxSpeakers = 5});
        MixPlan plan(1);
        Ids listeners(all.begin(), all.end());
        for (uint64_t tick = 0; tick < 50; ++tick) {
            std::vector<SpeakerSelector::Level> levels;
            for (int i = 0; i < static_cast<int>(all.size()); ++i)
                levels.push_back({all[static_cast<std::size_t>(i)], i < talkers ? -20.0 : -120.0});
            const auto& t = plan.update(selector.update(levels, static_cast<int64_t>(tick) * 20),
                                        listeners, tick);
            REQUIRE(MixPlan::holds(t, listeners));
            for (std::size_t i = 0; i < all.size(); ++i)
                REQUIRE_FALSE(received(t, all, all[i]) & (1 << i));
            if (tick == 0) {
                CHECK(t.summed.empty());  // everyone warming
                continue;
            }
            CHECK(t.summed.size() == static_cast<std::size_t>(std::min(talkers, 5)));
            CHECK(t.privateSent == t.summed);
            // Encodes = mixed + 1 (the shared sum for everyone else).
            CHECK(t.privateEncodes() + 1 == t.summed.size() + 1);
            // Each listener hears every summed voice but its own.
            for (std::size_t i = 0; i < all.size(); ++i) {
                int32_t expect = 0;
                for (std::size_t j = 0; j < all.size(); ++j)
                    if (j != i && t.summed.count(all[j])) expect |= 1 << j;
                CHECK(received(t, all, all[i]) == expect);
            }
        }
    }
}

TEST_CASE("no listener ever receives its own input, whatever the sequence", "[mixplan]") {
    // Random speakers joining, pausing and leaving, listeners connecting and leaving: on every
    // tick nobody receives a mix that holds their own voice, every summed input is a speaker,
    // and a speaker that stays one is summed within its warm-up.
    const auto all = names(12);
    std::mt19937 rng(7);
    for (uint64_t warmup : {0, 1, 2}) {
        MixPlan plan(warmup);
        std::map<std::string, uint64_t> since;  // mixed and listening since
        Ids mixed, listeners;
        for (uint64_t tick = 0; tick < 5000; ++tick) {
            const auto& who = all[rng() % all.size()];
            switch (rng() % 4) {
                case 0:
                    mixed.count(who) ? (void)mixed.erase(who) : (void)mixed.insert(who);
                    break;
                case 1:
                    listeners.count(who) ? (void)listeners.erase(who) : (void)listeners.insert(who);
                    break;
                default:
                    break;
            }
            const auto& t = plan.update(mixed, listeners, tick);
            REQUIRE(MixPlan::holds(t, listeners));
            for (std::size_t i = 0; i < all.size(); ++i)
                if (listeners.count(all[i])) REQUIRE_FALSE(received(t, all, all[i]) & (1 << i));
            for (const auto& id : t.summed) REQUIRE(mixed.count(id));
            for (const auto& id : all) {
                if (mixed.count(id) && listeners.count(id))
                    since.try_emplace(id, tick);
                else
                    since.erase(id);
            }
            for (const auto& id : mixed) {
                if (!listeners.count(id))
                    REQUIRE(t.summed.count(id));
                else
                    REQUIRE(t.summed.count(id) == (tick >= since[id] + warmup ? 1u : 0u));
            }
        }
    }
}
