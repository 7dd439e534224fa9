// The steward's scan screen (/gate/scan), enhanced: the form already works without
// JavaScript (it posts and the server answers with the whole page). Here:
// - a scan is sent as JSON and its answer shown in place, the field cleared and focused at
//   once, so a hardware scanner (a keyboard that types the code and Enter) can send the next
//   code while the answer is on its way: scans are queued and sent one after the other;
// - the device's camera: the browser's BarcodeDetector where it reads QR codes, otherwise
//   jsQR in a worker (/gate/scan-worker.js), fed a few downscaled frames a second.
// Every word on screen comes from the server (the answers, the data-msg-* attributes); the
// English sentences below are a last resort only.

const WANTED_FORMATS = ['qr_code', 'code_128', 'ean_13', 'ean_8', 'code_39', 'itf', 'pdf417', 'aztec', 'data_matrix'];
/// The camera sees a ticket on every frame: the same code again within this time is ignored.
const CAMERA_REPEAT_MS = 3000;
/// Time between two decoded frames (about 6-7 frames a second) and their largest width.
const FRAME_INTERVAL_MS = 150;
const FRAME_MAX_WIDTH = 640;
/// A scan whose answer takes longer than this is shown as failed; the queue goes on.
const SCAN_TIMEOUT_MS = 10000;
const COLOURS = ['green', 'amber', 'red'];

const $ = (id) => document.getElementById(id);
const form = $('scan-form');
const input = $('scan-code');
const result = $('scan-result');

if (form && input && result) {
  enhance();
}

function enhance() {
  const main = document.querySelector('main.gate-scan');
  const lang = (main && main.dataset.lang) || document.documentElement.lang || 'en';
  const title = result.querySelector('.scan-title');
  const reason = result.querySelector('.scan-reason');
  const hint = result.querySelector('.scan-hint');
  const holder = result.querySelector('.scan-holder');
  const status = $('camera-status');

  // ---- the answer on screen -------------------------------------------------------------

  function show(colour, outcome, texts, rows) {
    const c = COLOURS.includes(colour) ? colour : 'red';
    result.classList.remove('scan-idle', 'scan-green', 'scan-amber', 'scan-red', 'scan-attention', 'scan-new');
    result.classList.add(`scan-${c}`);
    result.dataset.outcome = outcome;
    if (title) title.textContent = texts.title || '';
    if (reason) reason.textContent = texts.reason || '';
    if (hint) hint.textContent = texts.hint || '';
    if (holder) {
      holder.replaceChildren(
        ...(rows || []).map(([k, v]) => {
          const row = document.createElement('div');
          const dt = document.createElement('dt');
          const dd = document.createElement('dd');
          dt.textContent = String(k);
          dd.textContent = String(v);
          row.append(dt, dd);
          return row;
        }),
      );
    }
    // a new answer flashes, even when it looks like the previous one (CSS, motion permitting)
    void result.offsetWidth;
    result.classList.add('scan-new');
    feedback(c);
  }

  function showAnswer(a) {
    const attention = a.attention === true;
    show(a.colour, String(a.outcome || ''), a, Array.isArray(a.holder) ? a.holder : []);
    if (attention) result.classList.add('scan-attention');
    if (a.counters && typeof a.counters === 'object') {
      for (const [name, value] of Object.entries(a.counters)) {
        const dd = document.querySelector(`#gate-counters [data-counter="${name}"]`);
        if (dd && Number.isFinite(value)) dd.textContent = String(value);
      }
    }
  }

  function showError(message, detail) {
    show('red', 'error', { title: message, reason: detail || '', hint: '' }, []);
  }

  // ---- sound and vibration (optional, short) --------------------------------------------

  let audio = null;
  function unlockAudio() {
    // an AudioContext may only start after a gesture: the first key or click makes it
    if (audio || typeof AudioContext === 'undefined') return;
    try {
      audio = new AudioContext();
    } catch {
      audio = null;
    }
  }
  function feedback(colour) {
    try {
      if (navigator.vibrate) {
        navigator.vibrate(colour === 'green' ? 80 : colour === 'amber' ? [80, 60, 80, 60, 80] : [250, 100, 250]);
      }
    } catch {
      /* not allowed: no matter */
    }
    if (!audio || audio.state !== 'running') return;
    try {
      const tones = colour === 'green' ? [[880, 0.09]] : colour === 'amber' ? [[660, 0.08], [660, 0.08]] : [[220, 0.35]];
      let t = audio.currentTime;
      for (const [freq, len] of tones) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = 'square';
        osc.frequency.value = freq;
        gain.gain.value = 0.05;
        osc.connect(gain).connect(audio.destination);
        osc.start(t);
        osc.stop(t + len);
        t += len + 0.06;
      }
    } catch {
      /* no sound: the screen says it */
    }
  }

  // ---- the queue of scans ---------------------------------------------------------------

  const queue = [];
  let running = false;
  function pending() {
    form.dataset.pending = String(queue.length + (running ? 1 : 0));
  }
  pending();

  function enqueue(code) {
    queue.push(code);
    pending();
    if (!running) drain();
  }

  async function drain() {
    running = true;
    result.setAttribute('aria-busy', 'true');
    try {
      while (queue.length) {
        const code = queue.shift();
        pending();
        await check(code);
      }
    } finally {
      running = false;
      result.removeAttribute('aria-busy');
      pending();
    }
  }

  // no answer at all (network down, server gone): the scan may or may not have been recorded
  const offline = {
    en: 'No answer from the gate server. Scan the ticket again.',
    fr: 'Pas de réponse du serveur de contrôle. Scannez le billet à nouveau.',
    de: 'Keine Antwort vom Kontrollserver. Ticket erneut scannen.',
  };

  async function check(code) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), SCAN_TIMEOUT_MS);
    let response;
    let body = null;
    try {
      response = await fetch('/gate/api/scan', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ code }),
        credentials: 'same-origin',
        cache: 'no-store',
        signal: abort.signal,
      });
      body = await response.json().catch(() => null);
    } catch {
      clearTimeout(timer);
      showError(result.dataset.msgOffline || offline[lang] || offline.en, code);
      return;
    }
    clearTimeout(timer);
    if (response.ok && body && typeof body.outcome === 'string') {
      showAnswer(body);
      return;
    }
    const message = (body && typeof body.error === 'string' && body.error) || `HTTP ${response.status}`;
    showError(message, response.status === 400 ? '' : code);
    if (response.status === 401) {
      // the steward's session is gone: the page shows the login
      stopCamera();
      queue.length = 0;
      setTimeout(() => location.reload(), 1200);
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    unlockAudio();
    const code = input.value.trim();
    // cleared at once: the scanner's next code goes into an empty field
    input.value = '';
    input.focus();
    if (code) enqueue(code);
  });

  // ---- keep the field focused (a hardware scanner types wherever the focus is) ----------

  const editable = (el) =>
    !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const interactive = (el) =>
    !!el && !!el.closest && !!el.closest('a, button, input, select, textarea, label, summary, video, [tabindex]');

  document.addEventListener(
    'keydown',
    (e) => {
      unlockAudio();
      if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
      const el = document.activeElement;
      if (editable(el)) return;
      // a printable key outside any field (on the page, or on a button after a click):
      // the field takes it, and the Enter that follows submits the code, not the button
      const onControl = !!el && el !== document.body && interactive(el);
      if (e.key.length === 1 && !(e.key === ' ' && onControl)) {
        input.focus();
      }
    },
    true,
  );

  document.addEventListener('click', (e) => {
    unlockAudio();
    if (interactive(e.target)) return;
    // a tap on the answer or the page: back to the field, except while the camera reads
    // on a touch screen (the field would bring up the on-screen keyboard over the camera)
    if (cameraOn && matchMedia('(pointer: coarse)').matches) return;
    input.focus({ preventScroll: true });
  });

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !editable(document.activeElement)) {
      input.focus({ preventScroll: true });
    } else if (document.visibilityState === 'hidden') {
      stopCamera();
    }
  });

  if (!editable(document.activeElement)) input.focus({ preventScroll: true });

  // ---- the camera -----------------------------------------------------------------------

  const startBtn = $('camera-start');
  const stopBtn = $('camera-stop');
  const video = $('camera-video');
  let cameraOn = false;
  let stream = null;
  let loopTimer = 0;
  let worker = null;
  let lastCode = '';
  let lastSeen = 0;
  let session = 0;

  function say(kind, fallback) {
    if (!status) return;
    const key = `msg${kind[0].toUpperCase()}${kind.slice(1)}`;
    status.textContent = status.dataset[key] || fallback;
    status.dataset.state = kind;
  }

  function seen(code) {
    const text = String(code || '').trim();
    if (!text) return;
    const now = performance.now();
    const repeat = text === lastCode && now - lastSeen < CAMERA_REPEAT_MS;
    lastCode = text;
    lastSeen = now;
    if (!repeat) enqueue(text);
  }

  async function nativeDetector() {
    if (!('BarcodeDetector' in window)) return null;
    try {
      const supported = await window.BarcodeDetector.getSupportedFormats();
      if (!supported.includes('qr_code')) return null;
      return new window.BarcodeDetector({ formats: WANTED_FORMATS.filter((f) => supported.includes(f)) });
    } catch {
      return null;
    }
  }

  let canvas = null;
  let ctx = null;
  /// The current frame, downscaled to at most FRAME_MAX_WIDTH, as ImageData.
  function frame() {
    const scale = Math.min(1, FRAME_MAX_WIDTH / video.videoWidth);
    const w = Math.max(1, Math.round(video.videoWidth * scale));
    const h = Math.max(1, Math.round(video.videoHeight * scale));
    if (!canvas) {
      canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(w, h) : document.createElement('canvas');
    }
    if (!ctx || canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
      ctx = canvas.getContext('2d', { willReadFrequently: true });
    }
    ctx.drawImage(video, 0, 0, w, h);
    return ctx.getImageData(0, 0, w, h);
  }

  /// One frame through the worker: the decoded text, or null.
  function workerDecode(image) {
    return new Promise((resolve, reject) => {
      const done = () => {
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
      };
      const onMessage = (e) => {
        done();
        resolve(e.data && typeof e.data.code === 'string' ? e.data.code : null);
      };
      const onError = (e) => {
        done();
        reject(e);
      };
      worker.addEventListener('message', onMessage);
      worker.addEventListener('error', onError);
      worker.postMessage({ width: image.width, height: image.height, data: image.data.buffer }, [image.data.buffer]);
    });
  }

  async function startCamera() {
    if (cameraOn) return;
    const mine = ++session;
    cameraOn = true;
    if (main) main.classList.add('camera-on');
    startBtn.hidden = true;
    stopBtn.hidden = false;
    say('starting', 'Starting the camera…');
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (err) {
      const denied = err && (err.name === 'NotAllowedError' || err.name === 'SecurityError');
      stopCamera();
      say(denied ? 'denied' : 'failed', denied ? 'The camera is not allowed.' : 'The camera could not be started.');
      return;
    }
    if (mine !== session) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    let detect = null;
    const detector = await nativeDetector();
    if (detector) {
      detect = async () => {
        const codes = await detector.detect(video);
        return codes.length ? codes[0].rawValue : null;
      };
    } else if (typeof Worker !== 'undefined') {
      try {
        worker = new Worker('/gate/scan-worker.js');
      } catch {
        worker = null;
      }
      if (worker) {
        const w = worker;
        detect = () => (w === worker ? workerDecode(frame()) : Promise.resolve(null));
      }
    }
    if (!detect) {
      stopCamera();
      say('unsupported', 'This browser cannot read codes from the camera.');
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    try {
      await video.play();
    } catch (err) {
      if (mine !== session) return;
      stopCamera();
      say('failed', 'The camera could not be started.');
      return;
    }
    if (mine !== session) return;
    say('scanning', 'Hold the ticket’s code in front of the camera.');
    if (document.activeElement === document.body || !document.activeElement) stopBtn.focus();

    const tick = async () => {
      if (mine !== session) return;
      const started = performance.now();
      if (video.readyState >= 2 && video.videoWidth > 0) {
        try {
          const code = await detect();
          if (mine !== session) return;
          if (code) seen(code);
        } catch {
          if (mine !== session) return;
          stopCamera();
          say('failed', 'The camera could not be started.');
          return;
        }
      }
      const spent = performance.now() - started;
      loopTimer = setTimeout(tick, Math.max(20, FRAME_INTERVAL_MS - spent));
    };
    tick();
  }

  function stopCamera() {
    session++;
    const wasOn = cameraOn;
    cameraOn = false;
    if (main) main.classList.remove('camera-on');
    clearTimeout(loopTimer);
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    if (worker) worker.terminate();
    worker = null;
    if (video) {
      video.pause();
      video.srcObject = null;
      video.hidden = true;
    }
    if (startBtn && stopBtn) {
      const focusWasOnStop = document.activeElement === stopBtn;
      stopBtn.hidden = true;
      startBtn.hidden = false;
      if (focusWasOnStop) input.focus();
    }
    if (wasOn && status) {
      status.textContent = '';
      delete status.dataset.state;
    }
  }

  if (startBtn && stopBtn && video && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    startBtn.hidden = false;
    startBtn.addEventListener('click', () => startCamera());
    stopBtn.addEventListener('click', () => {
      stopCamera();
      input.focus();
    });
    window.addEventListener('pagehide', () => stopCamera());
  }
}
