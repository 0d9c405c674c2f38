/** Events into the fallback policy and decisions out of it. */

/** The two ways a phone reaches the device's provisioning agent. */
export type Transport = 'ble' | 'softap';

export type FallbackEvent =
  /** The BLE controller answered (true) or could not be reached / went away (false). */
  | { readonly type: 'bleControllerPresent'; readonly present: boolean }
  /** A phone connected over BLE. */
  | { readonly type: 'blePhoneConnected' }
  /** No phone is connected over BLE any more (it disconnected). */
  | { readonly type: 'bleIdle' }
  | { readonly type: 'wifiUp' }
  | { readonly type: 'wifiDown' }
  /** The agent finished provisioning (thing registered, credentials stored and verified). */
  | { readonly type: 'provisioned' }
  | { readonly type: 'jobStarted'; readonly transport: Transport }
  | { readonly type: 'jobEnded'; readonly transport: Transport }
  /** Starting the AP failed (the driver reports it): retry after the back-off. */
  | { readonly type: 'apFailed' }
  /** Time passed: re-check the deadlines. */
  | { readonly type: 'tick' };

export type DecisionType = 'startAp' | 'stopAp' | 'enableBle' | 'disableBle';

/** Why a decision was taken, for logs and tests. */
export type FallbackReason =
  /** Start reasons of the AP (the trigger that fired). */
  | 'noBleController'
  | 'bleIdle'
  | 'wifiLost'
  /** The AP or BLE stays or comes up because a job runs over it. */
  | 'job'
  /** The device waits for setup (BLE is the primary path). */
  | 'setupNeeded'
  /** Stop reasons. */
  | 'setupDone'
  | 'bleJob'
  | 'softapJob'
  | 'bleControllerAbsent';

export interface Decision {
  readonly type: DecisionType;
  readonly reason: FallbackReason;
}
