// The drills' handles on injected faults, used from inside workerd: the database proxy of
// test/support/fault-proxy.ts and the QStash fake's publish failures (test/support/fakes.ts).
import { inject, onTestFinished } from "vitest";
import type { FaultSpec } from "../support/fault-proxy";

/** DATABASE_URL through the fault proxy: hand it to the calls a drill wants to be able to cut. */
export const faultyDatabase = () => ({ DATABASE_URL: inject("faultProxy").databaseUrl });

export type ArmedFault = { status(): Promise<{ fired: boolean; dropped: number }>; disarm(): Promise<void> };

/** Arms a database fault for this test; it is disarmed when the test ends, whatever happened. */
export async function armDatabaseFault(spec: FaultSpec): Promise<ArmedFault> {
  const control = inject("faultProxy").control;
  const res = await fetch(`${control}/faults`, { method: "POST", body: JSON.stringify(spec) });
  if (res.status !== 201) throw new Error(`arming the fault failed: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  let armed = true;
  const disarm = async () => {
    if (!armed) return;
    armed = false;
    await (await fetch(`${control}/faults/${id}`, { method: "DELETE" })).body?.cancel();
  };
  onTestFinished(disarm);
  return {
    status: async () => (await fetch(`${control}/faults/${id}`)).json(),
    disarm,
  };
}

export type PublishFaultSpec = { url: string; match: string; rate: number; seed: number; acceptedShare?: number };

/** Makes a seeded share of QStash publishes fail until the test ends; returns how many did. */
export async function failPublishes(spec: PublishFaultSpec) {
  const fakes = inject("fakesUrl");
  const post = async (body: PublishFaultSpec) =>
    (await fetch(`${fakes}/__qstash/faults`, { method: "POST", body: JSON.stringify(body) })).body?.cancel();
  await post(spec);
  onTestFinished(() => post({ ...spec, rate: 0 }));
  return {
    injected: async (): Promise<{ failed: number; accepted: number }> =>
      (
        await fetch(
          `${fakes}/__qstash/faults?url=${encodeURIComponent(spec.url)}&match=${encodeURIComponent(spec.match)}`,
        )
      ).json(),
  };
}
