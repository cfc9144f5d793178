/**
 * The camera, microphone and screen of this browser: choosing devices, opening them, and the
 * simulcast encodings the camera is published with (docs/protocols/rooms.md, "Publishing").
 */

/**
 * Three simulcast layers: `q` at a quarter of the size, `h` at half, `f` full. The server
 * forwards each receiver the smallest layer at least as large as the video is shown.
 */
export const SIMULCAST_ENCODINGS: RTCRtpEncodingParameters[] = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

/** What the camera is asked for: 720p at most, the layers above are computed from it. */
export const CAMERA_CONSTRAINTS: MediaTrackConstraints = {
  width: { ideal: 1280 },
  height: { ideal: 720 },
  frameRate: { ideal: 30, max: 30 },
};

export const MICROPHONE_CONSTRAINTS: MediaTrackConstraints = {
  echoCancellation: true,
  noiseSuppression: true,
  autoGainControl: true,
};

export interface DeviceChoice {
  /** Empty: the browser's default. */
  microphone: string;
  camera: string;
}

export interface Devices {
  microphones: MediaDeviceInfo[];
  cameras: MediaDeviceInfo[];
}

/** The microphones and cameras (named only once the visitor allowed access to one of them). */
export async function listDevices(): Promise<Devices> {
  if (!navigator.mediaDevices?.enumerateDevices) return { microphones: [], cameras: [] };
  const all = await navigator.mediaDevices.enumerateDevices();
  return {
    microphones: all.filter((d) => d.kind === 'audioinput' && d.deviceId !== ''),
    cameras: all.filter((d) => d.kind === 'videoinput' && d.deviceId !== ''),
  };
}

/** Opens the microphone (a chosen one when `deviceId` is set). */
export async function openMicrophone(deviceId = ''): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: deviceId ? { ...MICROPHONE_CONSTRAINTS, deviceId: { exact: deviceId } } : MICROPHONE_CONSTRAINTS,
  });
  const [track] = stream.getAudioTracks();
  if (!track) throw new Error('no audio track');
  return track;
}

/** Opens the camera (a chosen one when `deviceId` is set). */
export async function openCamera(deviceId = ''): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: deviceId ? { ...CAMERA_CONSTRAINTS, deviceId: { exact: deviceId } } : CAMERA_CONSTRAINTS,
  });
  const [track] = stream.getVideoTracks();
  if (!track) throw new Error('no video track');
  // Tell the encoder this is a face: keep motion smooth rather than every detail sharp.
  track.contentHint = 'motion';
  return track;
}

/** Asks which screen, window or tab to share. */
export async function openScreen(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
  const [track] = stream.getVideoTracks();
  if (!track) throw new Error('no screen track');
  // Text on a shared screen must stay readable.
  track.contentHint = 'detail';
  return track;
}

/** True when this browser can share a screen (phones usually cannot). */
export function canShareScreen(): boolean {
  return typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getDisplayMedia === 'function';
}

/** Why a device could not be opened, as a message key suffix. */
export function mediaErrorKey(error: unknown): 'denied' | 'not_found' | 'busy' | 'failed' {
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'not_found';
  if (name === 'NotReadableError' || name === 'AbortError') return 'busy';
  return 'failed';
}

const DEVICE_KEY = 'maille.rooms.devices';

/** The devices chosen last time in this browser. */
export function rememberedDevices(): DeviceChoice {
  try {
    const value = JSON.parse(localStorage.getItem(DEVICE_KEY) ?? '{}') as Partial<DeviceChoice>;
    return {
      microphone: typeof value.microphone === 'string' ? value.microphone : '',
      camera: typeof value.camera === 'string' ? value.camera : '',
    };
  } catch {
    return { microphone: '', camera: '' };
  }
}

export function rememberDevices(choice: DeviceChoice): void {
  try {
    localStorage.setItem(DEVICE_KEY, JSON.stringify(choice));
  } catch {
    // Without storage the default devices are used next time.
  }
}

/**
 * Opens microphone and camera with one permission prompt when possible; when one of them
 * fails, opens the other alone. Each missing device comes with the reason it is missing.
 */
export async function openDevices(choice: DeviceChoice): Promise<{
  microphone: MediaStreamTrack | null;
  camera: MediaStreamTrack | null;
  microphoneError: ReturnType<typeof mediaErrorKey> | null;
  cameraError: ReturnType<typeof mediaErrorKey> | null;
}> {
  if (!navigator.mediaDevices?.getUserMedia) {
    return { microphone: null, camera: null, microphoneError: 'failed', cameraError: 'failed' };
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: choice.microphone ? { ...MICROPHONE_CONSTRAINTS, deviceId: { exact: choice.microphone } } : MICROPHONE_CONSTRAINTS,
      video: choice.camera ? { ...CAMERA_CONSTRAINTS, deviceId: { exact: choice.camera } } : CAMERA_CONSTRAINTS,
    });
    const camera = stream.getVideoTracks()[0] ?? null;
    if (camera) camera.contentHint = 'motion';
    return { microphone: stream.getAudioTracks()[0] ?? null, camera, microphoneError: null, cameraError: null };
  } catch {
    const [microphone, camera] = await Promise.allSettled([openMicrophone(choice.microphone), openCamera(choice.camera)]);
    return {
      microphone: microphone.status === 'fulfilled' ? microphone.value : null,
      camera: camera.status === 'fulfilled' ? camera.value : null,
      microphoneError: microphone.status === 'rejected' ? mediaErrorKey(microphone.reason) : null,
      cameraError: camera.status === 'rejected' ? mediaErrorKey(camera.reason) : null,
    };
  }
}
