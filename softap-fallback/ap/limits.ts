/**
 * Limits and defaults of the setup access point, with units. Documented in ../README.md
 * ("Limits and defaults"); change them there too.
 */

/** IEEE 802.11 caps an SSID at 32 octets (not characters: UTF-8 counts bytes). */
export const SSID_MAX_BYTES = 32;
/** A WPA2-PSK passphrase is 8..63 printable ASCII characters (IEEE 802.11i, Annex H.4). */
export const PASSPHRASE_MIN_CHARS = 8;
export const PASSPHRASE_MAX_CHARS = 63;
/** Linux interface names are at most IFNAMSIZ - 1 = 15 bytes. */
export const INTERFACE_NAME_MAX_CHARS = 15;
/** Longest SSID prefix, so that the device part of a derived SSID keeps at least 15 bytes. */
export const SSID_PREFIX_MAX_BYTES = 16;

/** The seed's address (http://10.0.0.1) and its /24. */
export const DEFAULT_AP_ADDRESS = '10.0.0.1';
export const DEFAULT_AP_PREFIX_LENGTH = 24;
/** Default DHCP pool, as host numbers inside the /24: 10.0.0.10 .. 10.0.0.250. */
export const DEFAULT_DHCP_FIRST_HOST = 10;
export const DEFAULT_DHCP_LAST_HOST = 250;
/** Prefix lengths we accept for the AP subnet: at least 2 client addresses, at most a /16. */
export const MIN_AP_PREFIX_LENGTH = 16;
export const MAX_AP_PREFIX_LENGTH = 29;

/** DHCP lease, seconds. dnsmasq refuses leases under 120 s; setup sessions are short. */
export const DEFAULT_DHCP_LEASE_SECONDS = 3600;
export const MIN_DHCP_LEASE_SECONDS = 120;
export const MAX_DHCP_LEASE_SECONDS = 86_400;

/** 2.4 GHz channel 6: legal in every regulatory domain, and what most phones scan first. */
export const DEFAULT_CHANNEL = 6;
/** 2.4 GHz channels 1..13 (hw_mode=g). 14 is 802.11b-only and Japan-only, so it is refused. */
export const MIN_CHANNEL = 1;
export const MAX_CHANNEL = 13;

/** Associated phones at once (hostapd max_num_sta): setup needs one, a helper's second phone fits. */
export const DEFAULT_MAX_STATIONS = 4;
export const MAX_STATIONS_LIMIT = 32;

/** SSID prefix of derived SSIDs; the seed used the fixed "RaspiWiFi Setup". */
export const DEFAULT_SSID_PREFIX = 'Setup';

/** Derived passphrase: 4 groups of 4 symbols from a 32-symbol alphabet = 80 bits, 19 characters. */
export const PASSPHRASE_GROUPS = 4;
export const PASSPHRASE_GROUP_CHARS = 4;
/** No 0/O, 1/I: read off a label and typed on a phone without confusion. 32 symbols = 5 bits each. */
export const PASSPHRASE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
/** A device secret must carry at least 256 bits: the passphrase is only as strong as its input. */
export const DEVICE_SECRET_MIN_BYTES = 32;

/** Each external command (ip, iw, hostapd -B, dnsmasq, nmcli, kill) gets this long, then is killed, ms. */
export const COMMAND_TIMEOUT_MS = 15_000;
/** Longest stderr excerpt carried into an error detail, characters. */
export const COMMAND_DETAIL_MAX_CHARS = 200;

/** Default directory for generated files: /run is a tmpfs, so stale pid files die with a reboot. */
export const DEFAULT_AP_STATE_DIR = '/run/trusted-provisioning/softap';
