/** DescribeEndpoint: the broker's address for the data endpoint types. */
import { invalidRequest } from '../contract/index.js';
import type { Operation } from '../contract/index.js';

/** Endpoint types answered with the emulator's MQTT broker. AWS: iot:Data is the legacy (VeriSign) endpoint. */
const DATA_ENDPOINT_TYPES = new Set(['iot:Data', 'iot:Data-ATS']);
const KNOWN_ENDPOINT_TYPES = new Set([...DATA_ENDPOINT_TYPES, 'iot:CredentialProvider', 'iot:Jobs']);

export const describeEndpoint: Operation = {
  name: 'DescribeEndpoint',
  method: 'GET',
  path: '/endpoint',
  prepare({ query }, ctx) {
    const endpointType = query.get('endpointType') ?? 'iot:Data';
    if (!KNOWN_ENDPOINT_TYPES.has(endpointType)) throw invalidRequest(`Endpoint type ${endpointType} is invalid`);
    return {
      permissions: [{ action: 'iot:DescribeEndpoint', resource: '*' }],
      run() {
        if (!DATA_ENDPOINT_TYPES.has(endpointType))
          throw invalidRequest(`Endpoint type ${endpointType} is not offered by the emulator`);
        return { endpointAddress: ctx.dataEndpoint };
      },
    };
  },
};
