// Resume tokens and the participants whose connection dropped (docs/protocol.md,
// "Reconnecting"). Every `welcome` carries a token bound to the participant, its meeting and
// its account (or to being a guest). A connection that drops without `leave` parks its seat
// here for [room] reconnect_grace_ms: the room keeps the participant (tile frozen, silent, no
// leave for the others) and its history row stays open. A `join` with the token takes the seat
// over, from the parked state or from a connection the server still believes alive; tokens
// are single use and rotated on every welcome. Past the grace period the participant leaves
// and its row is closed.
//
// Main thread only. Owned by the Server; must be destroyed before the rooms and the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/Anchor.h"
#include "core/Result.h"
#include "room/RoomApi.h"
#include "store/Store.h"

namespace mixmeet::app {

class Reconnects {
public:
    /// A participant's place, handed from one connection to the next.
    struct Seat {
        std::string room;
        std::string participantId;
        std::string displayName;
        bool meeting = false;               ///< A stored meeting (history row, stored chat).
        std::optional<int64_t> userId;      ///< The account it is bound to; empty: a guest.
        std::optional<int64_t> historyRow;  ///< Its open history row, if any.
    };
    /// A live connection holding a seat.
    class Holder {
    public:
        virtual ~Holder() = default;
        /// Another connection resumed this holder's seat: returns it and ends this session
        /// without leaving the room (bye "replaced").
        virtual Seat releaseSeat() = 0;
    };

    /// `graceMs`: [room] reconnect_grace_ms (0: nothing is parked).
    Reconnects(room::RoomDirectory& rooms, store::Store& store, std::function<int64_t()> nowMs,
               int graceMs);
    /// Ends every parked seat (endAll()).
    ~Reconnects();
    Reconnects(const Reconnects&) = delete;
    Reconnects& operator=(const Reconnects&) = delete;

    /// A new token for `holder`'s seat in `room`, bound to `userId` (empty: a guest). Any
    /// token the holder had is forgotten.
    std::string issue(Holder& holder, const std::string& room, std::optional<int64_t> userId);
    /// The holder leaves or goes away: its token is forgotten (idempotent).
    void forget(Holder& holder);
    /// The holder's socket dropped: its seat is kept for the grace period under the holder's
    /// token. Returns false (nothing kept: the caller leaves the room and closes the row) when
    /// the grace period is 0, the holder has no token or the room does not know the seat.
    bool park(Holder& holder, Seat& seat);
    /// Takes the seat of `token` for a join of `room` by `userId` (empty: a guest), from its
    /// parked state or from the live connection holding it (which is told bye "replaced").
    /// The token is spent. The caller then calls Room::resume() at once. Error
    /// "resume-failed": unknown or spent token, past the grace period, another meeting, or
    /// another account (or a guest's token presented by an account, and the reverse).
    core::Result<Seat> take(const std::string& token, const std::string& room,
                            std::optional<int64_t> userId);
    /// Ends every parked seat now: leaves the room, closes the history row (shutdown).
    void endAll();
    /// Seats parked now.
    std::size_t parkedCount() const;
    int graceMs() const { return graceMs_; }

private:
    class ParkedSeat;
    struct Entry {
        std::string room;
        std::optional<int64_t> userId;
        Holder* holder = nullptr;            ///< Live: the connection holding the seat.
        std::unique_ptr<ParkedSeat> parked;  ///< Parked: the seat and its grace timer.
    };
    /// The grace period of the seat under `key` ended, or it was removed from its room.
    void expire(const std::string& key, bool removedByRoom);

    // Passed by argument.
    room::RoomDirectory& rooms_;
    store::Store& store_;
    std::function<int64_t()> nowMs_;
    int graceMs_;
    std::map<std::string, Entry> entries_;  ///< By the token's hash (auth::hashToken).
    core::Anchor<Reconnects> anchor_{this};
};

}  // namespace mixmeet::app
