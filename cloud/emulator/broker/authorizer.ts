/**
 * AWS IoT policy authorization for MQTT actions. The broker builds the request (action, resource
 * ARN, policy variables) and asks an {@link IotPolicyEvaluator}; by default the emulator's one
 * policy evaluator (cloud/emulator/policy/), shared with the control plane.
 */
import type { PolicyDocument } from '../contracts/index.js';
import { isAllowed } from '../policy/index.js';

export type IotMqttAction = 'iot:Connect' | 'iot:Publish' | 'iot:Subscribe' | 'iot:Receive' | 'iot:RetainPublish';

export interface IotAuthorizationRequest {
  action: IotMqttAction;
  /** e.g. arn:aws:iot:us-east-1:123456789012:topic/a/b */
  resource: string;
  /** Policy variables without `${}`: `iot:ClientId`, `iot:Connection.Thing.ThingName`, ... */
  variables: Record<string, string>;
}

export interface IotPolicyEvaluator {
  /** True when `documents` allow the request and nothing denies it. */
  isAllowed(documents: readonly PolicyDocument[], request: IotAuthorizationRequest): boolean;
}

export const defaultIotPolicyEvaluator: IotPolicyEvaluator = { isAllowed };
