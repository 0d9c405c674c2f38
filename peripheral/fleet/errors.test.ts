import { describe, expect, it } from 'vitest';
import { connectFailureError } from './mqtt-connection.js';
import { serviceErrorToProvisioning } from './provision.js';

describe('translating SDK failures', () => {
  it('CONNACK failure → CLOUD_CONNECT_REFUSED; TLS → refused; socket errors → CLOUD_UNREACHABLE', () => {
    expect(
      connectFailureError({
        error: { error_name: 'AWS_ERROR_MQTT5_CONNACK_CONNECTION_REFUSED' },
        connack: { reasonCode: 0x87, sessionPresent: false },
      }),
    ).toMatchObject({ code: 'CLOUD_CONNECT_REFUSED', detail: 'CONNACK reason 0x87' });
    expect(connectFailureError({ error: { error_name: 'AWS_IO_TLS_ERROR_NEGOTIATION_FAILURE' } })).toMatchObject({
      code: 'CLOUD_CONNECT_REFUSED',
    });
    expect(connectFailureError({ error: { error_name: 'AWS_IO_SOCKET_CONNECTION_REFUSED' } })).toMatchObject({
      code: 'CLOUD_UNREACHABLE',
      detail: 'AWS IoT MQTT endpoint: AWS_IO_SOCKET_CONNECTION_REFUSED',
    });
  });

  it('AWS rejections keep their errorCode and message; no modeled error means a timeout', () => {
    const rejected = serviceErrorToProvisioning(
      { modeledError: { statusCode: 400, errorCode: 'InvalidParameters', errorMessage: 'Missing SerialNumber' } },
      'REGISTER_REJECTED',
    );
    expect(rejected).toMatchObject({
      code: 'REGISTER_REJECTED',
      detail: 'InvalidParameters (400): Missing SerialNumber',
      awsErrorCode: 'InvalidParameters',
    });
    expect(serviceErrorToProvisioning(new Error('timed out'), 'CERTIFICATE_REJECTED')).toMatchObject({
      code: 'CLOUD_TIMEOUT',
    });
  });
});
