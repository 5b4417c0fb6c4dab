// One driver per channel type. The contract suite runs every adapter in the registry against its
// driver and fails for an adapter that has none: a new provider gets the contract by adding one.
import { builderbotDriver } from "./builderbot";
import type { ProviderDriver } from "./driver";
import { metaDriver } from "./meta";
import { telegramDriver } from "./telegram";
import { twilioDriver } from "./twilio";
import { zapiDriver } from "./zapi";

export const drivers: Record<string, ProviderDriver> = {
  whatsapp_meta: metaDriver,
  whatsapp_zapi: zapiDriver,
  whatsapp_builderbot: builderbotDriver,
  twilio_sms: twilioDriver,
  telegram: telegramDriver,
};
