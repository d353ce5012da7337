// Local camera and microphone (getUserMedia), with the fallbacks: microphone only, then
// receive-only.

import { showError } from './status.js';
import { state } from './store.js';

// Resolves with a MediaStream, or null (receive-only); never rejects. Sets state.mediaError.
export async function openLocalMedia() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    state.mediaError = 'this browser (or a page not served over HTTPS) has no camera access';
    showError(`Camera and microphone unavailable: ${state.mediaError}. Joining to watch and listen only.`);
    return null;
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  } catch (err) {
    state.mediaError = `${err.name}: ${err.message}`;
  }
  // The commonest partial failure is a machine without a camera: still let people talk.
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    showError(`Camera unavailable (${state.mediaError}). Joining with the microphone only.`);
    return stream;
  } catch {
    showError(
      `Camera and microphone unavailable (${state.mediaError}). Joining to watch and listen only.`,
    );
    return null;
  }
}
