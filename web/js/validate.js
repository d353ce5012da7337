// Input rules shared by the join form and the room page. They mirror the `join` message
// rules in docs/protocol.md so a bad value is caught before it reaches the server.

export const ROOM_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

// Returns null when the room name is acceptable, otherwise a message for people.
export function roomError(room) {
  if (typeof room !== 'string' || room.length === 0) {
    return 'Please enter a room name.';
  }
  if (room.length > 64) {
    return 'The room name is too long: at most 64 characters.';
  }
  if (!ROOM_PATTERN.test(room)) {
    return 'The room name may only contain letters A–Z and a–z, digits, "-", "_" and ".".';
  }
  return null;
}

// Returns null when the display name is acceptable, otherwise a message for people.
export function nameError(name) {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length === 0) {
    return 'Please enter your name.';
  }
  // Count code points, not UTF-16 units, as the server does.
  if ([...trimmed].length > 64) {
    return 'The name is too long: at most 64 characters.';
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) {
    return 'The name must not contain control characters.';
  }
  return null;
}
