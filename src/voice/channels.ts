import type { ChannelDefinition, VoiceChannelType } from "@/channels/types";
import { elevenlabsChannel } from "./elevenlabs/channel";
import { retellChannel } from "./retell/channel";
import { twilioVoiceChannel } from "./twilio/channel";

/** Every voice channel type's credentials schema and webhook URLs, for the channels API. */
export const voiceChannels: Record<VoiceChannelType, ChannelDefinition> = {
  twilio_voice: twilioVoiceChannel,
  retell: retellChannel,
  elevenlabs: elevenlabsChannel,
};
