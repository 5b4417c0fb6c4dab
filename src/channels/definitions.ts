import { voiceChannels } from "@/voice/channels";
import { adapterFor } from "./registry";
import type { AnyChannelType, ChannelDefinition } from "./types";

/** The credentials schema and webhook URLs of any channel type: a messaging adapter or a voice channel. */
export function channelDefinition(type: AnyChannelType | string): ChannelDefinition | undefined {
  return (
    adapterFor(type) ??
    (Object.hasOwn(voiceChannels, type) ? voiceChannels[type as keyof typeof voiceChannels] : undefined)
  );
}
