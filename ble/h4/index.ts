/** H4 framing of HCI packets (the UART transport's byte stream) and the packet shapes. */
export { addressToString, h4Event, H4_ACL, H4_COMMAND, opcode, H4_EVENT, h4Command } from './packets.js';
export { H4Framer, H4FramingError } from './framer.js';
