// Puts the picture of a picture login challenge into the Login Challenge event, so whoever receives the event
// (the loginChallenges SNS topic, GET /v1/gateway) can read the code without a shell on the gateway task:
// OpenD saves the picture to `<state folder>/F3CNN/PicVerifyCode.png` (Futu's Verification documentation) and
// only says "NeedPicVerifyCode" in its Notify push.
//
// Invariants: a Login Challenge is always published, picture or not; when the picture cannot be attached the
// detail says where it is and why (`pictureNote`). The PNG is attached only while the event stays well under
// EventBridge's 256 KB entry limit, base64 included (a too-large entry would be rejected, and trade and gateway
// events are never dropped, so it would be retried forever).
import { readFileSync, statSync } from 'node:fs';
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
