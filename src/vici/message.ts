// The VICI message model shared by the codec, the session and the renderers.
// A message is an ordered section: keys map to a string value, a list of strings, or a nested
// section. Order matters to charon only for readability, but JS objects keep insertion order.
export type ViciValue = string | string[] | ViciSection;
export interface ViciSection {
  [key: string]: ViciValue;
}
