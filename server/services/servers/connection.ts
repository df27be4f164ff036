import { getEnv } from "../../env";

/** A source is offline once this many heartbeats in a row did not arrive. */
export const MISSED_HEARTBEATS_BEFORE_OFFLINE = 3;

export type ConnectionState = "connected" | "offline";

export function heartbeatIntervalSeconds(): number {
  return getEnv().FERRY_HEARTBEAT_INTERVAL_SECONDS;
}

export function offlineAfterMs(intervalSeconds = heartbeatIntervalSeconds()): number {
  return MISSED_HEARTBEATS_BEFORE_OFFLINE * intervalSeconds * 1000;
}

/**
 * Connected or offline, computed from the last heartbeat each time it is read: a stored flag would
 * stay "connected" for ever after an agent died without saying goodbye.
 */
export function connectionOf(lastHeartbeatAt: Date | null, now = new Date(), intervalSeconds = heartbeatIntervalSeconds()): ConnectionState {
  if (!lastHeartbeatAt) return "offline";
  return now.getTime() - lastHeartbeatAt.getTime() <= offlineAfterMs(intervalSeconds) ? "connected" : "offline";
}
