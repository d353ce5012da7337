// One TokenBucket per key (an account id), shared by all of that key's connections, so a
// signed-in user's chat budget holds however many sockets they open. Memory is bounded: at
// `maxKeys`, buckets that are full again (idle keys, nothing to remember) are dropped first;
// if none is, the least recently used one is. Pure (the caller passes the time); main thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>

#include "signaling/TokenBucket.h"

namespace mixmeet::signaling {

class KeyedBuckets {
public:
    explicit KeyedBuckets(TokenBucket::Config config, std::size_t maxKeys = 10000)
        : config_(config), maxKeys_(maxKeys) {}

    /// Takes one token from `key`'s bucket (a new key starts full). False when it is empty.
    bool take(int64_t key, int64_t nowMs);
    std::size_t keyCount() const { return buckets_.size(); }

private:
    struct Entry {
        TokenBucket bucket;
        std::list<int64_t>::iterator lruPos;
    };
    void evict(int64_t nowMs);

    TokenBucket::Config config_;
    std::size_t maxKeys_;
    std::unordered_map<int64_t, Entry> buckets_;
    std::list<int64_t> lru_;  ///< Keys, least recently used first.
};

}  // namespace mixmeet::signaling
