// Decodes QR codes off the page's thread for browsers without BarcodeDetector (gate.js).
// A classic worker: jsQR (Apache-2.0, vendored by scripts/build.sh from npm `jsqr`).
// In:  {width, height, data: ArrayBuffer of RGBA pixels}
// Out: {code: string | null}
importScripts('/gate/jsQR.js');

let frames = 0;

self.onmessage = (e) => {
  const { width, height, data } = e.data || {};
  let code = null;
  if (width > 0 && height > 0 && data && data.byteLength === width * height * 4) {
    frames += 1;
    // black on white first (printed and most mobile tickets); every third frame also tries
    // the inverted image (a ticket in a dark-mode wallet), which costs twice as much
    const found = self.jsQR(new Uint8ClampedArray(data), width, height, {
      inversionAttempts: frames % 3 === 0 ? 'attemptBoth' : 'dontInvert',
    });
    if (found && typeof found.data === 'string' && found.data.length > 0) code = found.data;
  }
  self.postMessage({ code });
};
