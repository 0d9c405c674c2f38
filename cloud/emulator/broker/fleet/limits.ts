/** Fleet provisioning API limits (AWS IoT Core endpoints and quotas, "Fleet provisioning"). */

/**
 * Fleet-provisioning MQTT API requests per second, per operation (AWS IoT Core quotas, "Fleet
 * provisioning": 10 transactions per second for RegisterThing, CreateKeysAndCertificate and
 * CreateCertificateFromCsr). AWS counts them per account; the emulator counts them per claim
 * certificate, so one claim cannot spend everybody's budget.
 */
export const FLEET_API_REQUESTS_PER_SECOND = 10;
