#include "app/Reconnects.h"

#include <glib.h>

#include <utility>
#include <vector>

#include "app/MeetingHistory.h"
#include "auth/Tokens.h"
#include "core/Log.h"
#include "core/MainContext.h"
#include "protocol/Messages.h"

#define GST_CAT_DEFAULT mixmeet_app_debug

namespace mixmeet::app {

namespace errc = protocol::errc;

/// A parked seat: stands in for the connection in the room (every event dropped) until it is
/// resumed, its grace period ends or the room removes it.
class Reconnects::ParkedSeat : public room::ParticipantListener {
public:
    ParkedSeat(Reconnects& owner, std::string key, Seat seat)
        : owner_(owner), key_(std::move(key)), seat_(std::move(seat)) {}
    ~ParkedSeat() override { stopTimer(); }
    ParkedSeat(const ParkedSeat&) = delete;
    ParkedSeat& operator=(const ParkedSeat&) = delete;

    void startTimer(unsigned ms) {
        timer_ = core::postToMainDelayed(ms, [weak = owner_.anchor_.weak(), key = key_] {
            if (Reconnects* self = core::resolve(weak)) {
                auto it = self->entries_.find(key);
                if (it != self->entries_.end() && it->second.parked)
                    it->second.parked->timer_ = 0;  // This source is finishing.
                self->expire(key, false);
            }
        });
    }
    void stopTimer() {
        if (timer_) g_source_remove(timer_);
        timer_ = 0;
    }
    Seat& seat() { return seat_; }

    // room::ParticipantListener: nobody to tell while the connection is away.
    bool parked() const override { return true; }
    void onOffer(std::string) override {}
    void onLocalCandidate(protocol::IceCandidate) override {}
    void onRoster(protocol::Roster) override {}
    void onChat(const protocol::ChatLine&) override {}
    void onQuality(const protocol::Quality&) override {}
    void onRecording(const protocol::RecordingState&) override {}
    void onSendHint(const protocol::SendHint&) override {}
    void onRemoved(std::string reason, std::string, std::string) override {
        // Removed while away (the host, the meeting ended): out of the room already. Deferred:
        // the room is still inside its remove().
        g_message("room %s: %s removed while reconnecting: %s", seat_.room.c_str(),
                  seat_.participantId.c_str(), reason.c_str());
        core::postToMain([weak = owner_.anchor_.weak(), key = key_] {
            if (Reconnects* self = core::resolve(weak)) self->expire(key, true);
        });
    }

private:
    Reconnects& owner_;
    std::string key_;
    Seat seat_;
    guint timer_ = 0;
};

Reconnects::Reconnects(room::RoomDirectory& rooms, store::Store& store,
                       std::function<int64_t()> nowMs, int graceMs)
    : rooms_(rooms), store_(store), nowMs_(std::move(nowMs)), graceMs_(graceMs) {}

Reconnects::~Reconnects() {
    endAll();
}

std::string Reconnects::issue(Holder& holder, const std::string& room,
                              std::optional<int64_t> userId) {
    forget(holder);
    std::string token = auth::generateToken();
    Entry& e = entries_[auth::hashToken(token)];
    e.room = room;
    e.userId = userId;
    e.holder = &holder;
    return token;
}

void Reconnects::forget(Holder& holder) {
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
        if (it->second.holder == &holder) {
            entries_.erase(it);
            return;
        }
}

bool Reconnects::park(Holder& holder, Seat& seat) {
    auto it = entries_.begin();
    while (it != entries_.end() && it->second.holder != &holder) ++it;
    if (it == entries_.end()) return false;
    if (graceMs_ <= 0) {
        entries_.erase(it);
        return false;
    }
    room::RoomApi* r = rooms_.findRoom(seat.room);
    auto parked = std::make_unique<ParkedSeat>(*this, it->first, std::move(seat));
    if (!r || !r->park(parked->seat().participantId, *parked)) {
        seat = std::move(parked->seat());
        entries_.erase(it);
        return false;
    }
    parked->startTimer(static_cast<unsigned>(graceMs_));
    it->second.holder = nullptr;
    it->second.parked = std::move(parked);
    return true;
}

core::Result<Reconnects::Seat> Reconnects::take(const std::string& token, const std::string& room,
                                                std::optional<int64_t> userId) {
    auto it = entries_.find(auth::hashToken(token));
    if (it == entries_.end())
        return core::makeError(errc::kResumeFailed,
                               "This resume token is unknown, used or expired; join afresh.");
    if (it->second.room != room)
        return core::makeError(errc::kResumeFailed, "This resume token is for another meeting.");
    if (it->second.userId != userId)
        return core::makeError(errc::kResumeFailed,
                               "This resume token belongs to another participant.");
    Entry entry = std::move(it->second);
    entries_.erase(it);  // Spent, before the holder's session ends (it forgets its token).
    if (entry.holder) return entry.holder->releaseSeat();
    entry.parked->stopTimer();
    return std::move(entry.parked->seat());
}

void Reconnects::expire(const std::string& key, bool removedByRoom) {
    auto it = entries_.find(key);
    if (it == entries_.end() || !it->second.parked) return;
    std::unique_ptr<ParkedSeat> parked = std::move(it->second.parked);
    entries_.erase(it);
    Seat& seat = parked->seat();
    if (!removedByRoom) {
        g_message("room %s: %s did not reconnect within %d ms", seat.room.c_str(),
                  seat.participantId.c_str(), graceMs_);
        rooms_.leave(seat.room, seat.participantId);
    }
    MeetingHistory history(store_);
    history.adopt(seat.historyRow);
    history.close(nowMs_());
}

void Reconnects::endAll() {
    std::vector<std::string> keys;
    for (const auto& [key, e] : entries_)
        if (e.parked) keys.push_back(key);
    for (const auto& key : keys) expire(key, false);
}

std::size_t Reconnects::parkedCount() const {
    std::size_t n = 0;
    for (const auto& [key, e] : entries_)
        if (e.parked) ++n;
    return n;
}

}  // namespace mixmeet::app
