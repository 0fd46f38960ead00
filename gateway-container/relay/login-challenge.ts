// Puts the picture of a picture login challenge into the Login Challenge event, so whoever receives the event
// (the loginChallenges SNS topic, GET /v1/gateway) can read the code without a shell on the gateway task:
// OpenD saves the picture to `<state folder>/F3CNN/PicVerifyCode.png` (Futu's Verification documentation) and
// only says "NeedPicVerifyCode" in its Notify push.
//
// A new picture saved later (a client asked for another) is noticed by LoginPictureWatcher, and the relay publishes
// another Login Challenge with it.
//
// Invariants: a Login Challenge is always published, picture or not; when the picture cannot be attached the
// detail says where it is and why (`pictureNote`). The PNG is attached only while the event stays well under
// EventBridge's 256 KB entry limit, base64 included (a too-large entry would be rejected, and trade and gateway
// events are never dropped, so it would be retried forever).
import { readFileSync, statSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { join } from 'node:path';
import { DETAIL_TYPES, type LoginChallengeDetail } from '../../proto/events.js';

/** OpenD's picture file, relative to its state folder. */
export const LOGIN_PICTURE_FILE = join('F3CNN', 'PicVerifyCode.png');

/** Largest PNG put into an event: 150 KB is 200 KB as base64, leaving room for the rest of the entry. */
export const MAX_EVENT_PICTURE_BYTES = 150 * 1024;

export interface PublishableEvent {
  detailType: string;
  detail: Record<string, unknown>;
}

/**
 * `event` with the picture attached when it is a PICTURE Login Challenge; any other event unchanged.
 * `stateDir` is OpenD's state folder (OPEND_STATE_DIR, the EFS mount in AWS).
 */
export function withLoginPicture<E extends PublishableEvent>(event: E, stateDir: string | undefined = process.env['OPEND_STATE_DIR']): E {
  if (event.detailType !== DETAIL_TYPES.loginChallenge || event.detail['challenge'] !== 'PICTURE') return event;
  const picture: Partial<LoginChallengeDetail> = {};
  if (!stateDir) {
    picture.pictureNote = `OpenD saved the picture to ${LOGIN_PICTURE_FILE} in its state folder, but the relay was not told where that is (OPEND_STATE_DIR)`;
    return { ...event, detail: { ...event.detail, ...picture } };
  }
  const path = join(stateDir, LOGIN_PICTURE_FILE);
  picture.picturePath = path;
  try {
    const stat = statSync(path);
    picture.pictureSavedAt = stat.mtime.toISOString();
    picture.pictureBytes = stat.size;
    if (stat.size > MAX_EVENT_PICTURE_BYTES) {
      picture.pictureNote = `the picture is ${stat.size} bytes, too large for an event (at most ${MAX_EVENT_PICTURE_BYTES}); read it from ${path} on the gateway's EFS volume`;
    } else {
      picture.picturePngBase64 = readFileSync(path).toString('base64');
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    picture.pictureNote = `no picture could be read at ${path} (${code}); ask for a new one with POST /v1/gateway/verification {"type":"PICTURE","action":"REQUEST"}`;
  }
  return { ...event, detail: { ...event.detail, ...picture } };
}

/** How often the picture file is checked while OpenD waits for a picture code (default of LoginPictureWatcher). */
export const LOGIN_PICTURE_POLL_MS = 2_000;

/**
 * Notices a new picture while OpenD waits for a picture code. A client asking for a new one (Verification op 1,
 * POST /v1/gateway/verification {"type":"PICTURE","action":"REQUEST"}) makes OpenD save a new PNG, and Futu documents
 * no push for that, so the file itself is watched: node's stat polling (fs.watchFile, which also works on the EFS
 * mount where inotify events from other clients never arrive), at `intervalMs`, only between start() and stop()
 * (the relay runs it only while the program status is NEED_PIC_VERIFY_CODE), and without keeping the process alive.
 * The picture present at start() counts as already published; a deleted file is not a new picture.
 */
export class LoginPictureWatcher {
  private watched: string | undefined;
  private readonly onChange = (curr: Stats, prev: Stats): void => {
    if (curr.mtimeMs === 0 && curr.size === 0) return; // missing (deleted, or not written yet)
    if (curr.mtimeMs === prev.mtimeMs && curr.ctimeMs === prev.ctimeMs && curr.size === prev.size) return;
    this.o.onNewPicture();
  };

  constructor(private readonly o: { stateDir: string | undefined; intervalMs?: number; onNewPicture: () => void }) {}

  get watching(): boolean {
    return this.watched !== undefined;
  }

  start(): void {
    if (this.watched !== undefined || !this.o.stateDir) return;
    this.watched = join(this.o.stateDir, LOGIN_PICTURE_FILE);
    watchFile(this.watched, { interval: this.o.intervalMs ?? LOGIN_PICTURE_POLL_MS, persistent: false }, this.onChange);
  }

  stop(): void {
    if (this.watched === undefined) return;
    unwatchFile(this.watched, this.onChange);
    this.watched = undefined;
  }
}
