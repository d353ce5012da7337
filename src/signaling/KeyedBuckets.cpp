#include "signaling/KeyedBuckets.h"

namespace mixmeet::signaling {

bool KeyedBuckets::take(int64_t key, int64_t nowMs) {
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= maxKeys_) evict(nowMs);
        lru_.push_back(key);
        it = buckets_.emplace(key, Entry{TokenBucket(config_, nowMs), std::prev(lru_.end())}).first;
    } else {
        lru_.splice(lru_.end(), lru_, it->second.lruPos);
    }
    return it->second.bucket.take(nowMs);
}

void KeyedBuckets::evict(int64_t nowMs) {
    for (auto k = lru_.begin(); k != lru_.end();) {
        auto b = buckets_.find(*k);
        if (b->second.bucket.full(nowMs)) {
            buckets_.erase(b);
            k = lru_.erase(k);
        } else {
            ++k;
        }
    }
    if (buckets_.size() >= maxKeys_ && !lru_.empty()) {
        buckets_.erase(lru_.front());
        lru_.pop_front();
    }
}

}  // namespace mixmeet::signaling
