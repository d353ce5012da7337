// A live microphone level (WebAudio AnalyserNode) shown in a <meter> (0..1).
// startMeter(track, meter) → stop(): call stop before the track goes away.

let audioContext = null;

// Browsers may start an AudioContext suspended until the page gets a click or key press.
function resumeOnGesture() {
  const resume = () => {
    if (audioContext && audioContext.state === 'suspended') audioContext.resume().catch(() => {});
  };
  for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, resume, { once: true, capture: true });
}

export function startMeter(track, meter) {
  if (!track || !meter || typeof AudioContext === 'undefined') return () => {};
  if (!audioContext) {
    audioContext = new AudioContext();
    resumeOnGesture();
  }
  if (audioContext.state === 'suspended') audioContext.resume().catch(() => {});
  const source = audioContext.createMediaStreamSource(new MediaStream([track]));
  const analyser = audioContext.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let frame = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const rms = Math.sqrt(sum / samples.length);
    // Speech sits around 0.02..0.2 RMS: show it on a rough log scale, 0..1.
    const level = rms > 0 ? Math.max(0, Math.min(1, 1 + Math.log10(rms) / 2.5)) : 0;
    meter.value = Math.round(level * 100) / 100;
    meter.dataset.rms = rms.toFixed(4);
    frame = requestAnimationFrame(tick);
  };
  tick();
  return () => {
    stopped = true;
    cancelAnimationFrame(frame);
    source.disconnect();
    analyser.disconnect();
    meter.value = 0;
  };
}
