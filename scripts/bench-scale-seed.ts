// The data of `npm run bench:scale`, written by SQL (generate_series) in a few statements per
// organization. Both organizations get the same shape, so the only difference the benchmark
// sees is size: one contact and one ticket per customer, ten messages a ticket, tickets spread
// over the past year (newest last, ids UUIDv7 of their creation time, as the API makes them),
// three queues with SLAs, twenty agents. Next response: two tickets in three of a queue have had
// customers write again after a reply (one or two clocks), one in seven of those breached (its
// sla_events row and the ticket's mark), and half the open ones wait with a clock running.
//
// What a search can find, by construction (row g of an organization):
//   name      FIRST_NAMES[g % 30] + " " + LAST_NAMES[(g / 30) % 40]   (one full name per 1,200 contacts)
//   phone     +55 <area 11..90> 9 <8 digits, a bijection of g>
//   messages  everyday phrases; "reembolso" in about 1 message in 20, "boleto" in 1 in 2,000, and
//             the first message of each ticket carries a protocol code unique to g
import { createHash } from "node:crypto";
import type pg from "pg";

// biome-ignore format: a table
export const FIRST_NAMES = [
  "Maria", "Ana", "Francisca", "Antonia", "Adriana", "Juliana", "Marcia", "Fernanda", "Patricia", "Aline",
  "Jose", "Joao", "Antonio", "Francisco", "Carlos", "Paulo", "Pedro", "Lucas", "Luiz", "Marcos",
  "Sofia", "Lucia", "Camila", "Valentina", "Isabela", "Diego", "Mateo", "Santiago", "Sebastian", "Tomas",
];

// biome-ignore format: a table
export const LAST_NAMES = [
  "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima", "Gomes",
  "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes", "Vieira", "Barbosa",
  "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas",
  "Garcia", "Gonzalez", "Hernandez", "Lopez", "Martinez", "Sanchez", "Ramirez", "Torres", "Flores", "Rivera",
];

const PHRASES = [
  "Oi, bom dia! Gostaria de saber o status do meu pedido",
  "Olá, tudo bem? Em que posso ajudar?",
  "Meu pedido ainda não chegou, já faz uma semana",
  "Vou verificar com a transportadora e já retorno",
  "Quero pedir o reembolso da compra, o produto veio com defeito",
  "Pode me enviar uma foto do produto, por favor?",
  "Segue a foto, a caixa chegou amassada",
  "Sinto muito pelo transtorno, vamos resolver",
  "Qual o prazo de entrega para o meu CEP?",
  "O prazo é de cinco dias úteis após a confirmação do pagamento",
  "Consigo trocar o tamanho da camiseta?",
  "Sim, a troca é gratuita em até trinta dias",
  "Obrigado pelo atendimento!",
  "Por nada, estamos à disposição",
  "Hola, quisiera cambiar la dirección de entrega",
  "Claro, ¿cuál es la nueva dirección?",
  "O cartão foi recusado, o que eu faço?",
  "Tente novamente ou use o Pix",
  "Vocês têm loja física em São Paulo?",
  "Temos sim, na Avenida Paulista",
];

/** Pseudo-random but repeatable: the seed is a function of g, so two runs seed the same data. */
const mix = (expr: string, salt: number) => `((${expr})::bigint * ${2654435761 + salt} % 4294967296)`;

export type SeedSize = { tickets: number; messagesPerTicket: number };

type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;
type Organization = { organizationId: string; channelId: string };

/**
 * Seeds each organization's contacts, tickets and messages on its channel, and returns for each
 * the ids the benchmark builds its requests with (an agent, a queue). The secondary indexes are
 * dropped for the load and rebuilt after it from their own definitions (pg_get_indexdef): a bulk
 * build is several times faster than two million index insertions, and gives the same indexes.
 */
export async function seed(
  client: pg.Client,
  organizations: { org: Organization; size: SeedSize }[],
): Promise<{ agentId: string; queueId: string }[]> {
  const q: Query = async (text, values = []) => {
    const started = Date.now();
    const result = await client.query(text, values);
    if (process.env.BENCH_VERBOSE) console.log(`${Date.now() - started} ms: ${text.trim().slice(0, 50)}`);
    return result;
  };
  // A UUIDv7 of the row's time, its random bits replaced by a per-table salt: unique and repeatable.
  await q(`
    create or replace function bench_uuid7(ts timestamptz, salt bigint) returns uuid language sql immutable as $$
      select (lpad(to_hex(floor(extract(epoch from ts) * 1000)::bigint), 12, '0') || '7'
        || overlay(lpad(to_hex(salt), 18, '0') placing '8' from 4 for 0))::uuid
    $$`);
  // The data is consistent by construction: skip the foreign-key triggers, which would double the
  // time of the load (needs a superuser, as the machine's PostgreSQL has; else they just run).
  await q("set session_replication_role = replica").catch(() => undefined);
  await q("set maintenance_work_mem = '256MB'");
  const { rows: indexes } = await q(
    `select indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as definition from pg_index
     where indrelid = any(array['contacts', 'tickets', 'messages']::regclass[]) and not indisprimary`,
  );
  for (const index of indexes) await q(`drop index ${index.name}`);
  const ids = [];
  for (const { org, size } of organizations) ids.push(await seedOrganization(q, org, size));
  for (const index of indexes) await q(index.definition);
  await q("reset session_replication_role");
  // The load bypassed the ticket trigger that keeps the statistics rollups: computed once from the tickets.
  for (const { org } of organizations) await q("select ticket_stats_rebuild($1)", [org.organizationId]);
  await q("reset maintenance_work_mem");
  return ids;
}

async function seedOrganization(
  q: Query,
  org: Organization,
  size: SeedSize,
): Promise<{ agentId: string; queueId: string }> {
  const { organizationId, channelId } = org;
  const n = size.tickets;
  // One instant for every statement (now() moves between them), so row g's time, and with it its
  // UUIDv7, comes out the same in each.
  const anchor = `'${new Date().toISOString()}'::timestamptz`;
  const queues = await q(
    `insert into queues (id, organization_id, name, sla_first_response_minutes, sla_resolution_minutes,
                         sla_next_response_minutes)
     select bench_uuid7(now() - interval '400 days', i), $1, 'Fila ' || i, 15, 1440, 30 from generate_series(1, 3) i
     returning id`,
    [organizationId],
  );
  const agents = await q(
    `with u as (
       insert into users (id, organization_id, email, name, role)
       select bench_uuid7(now() - interval '400 days', 100 + i), $1::uuid, 'agent' || i || '-' || $1::text || '@example.com',
              'Agente ' || i, 'agent'
       from generate_series(1, 20) i returning id, organization_id)
     insert into agents (user_id, organization_id, status) select id, organization_id, 'online' from u
     returning user_id as id`,
    [organizationId],
  );
  const queueIds = queues.rows.map((r) => r.id as string);
  const agentIds = agents.rows.map((r) => r.id as string);

  // Row g was created at: the past year, in order.
  const createdAt = `${anchor} - interval '365 days' + (g * interval '365 days' / ${n}) - interval '1 hour'`;
  await q(
    `insert into contacts (id, organization_id, phone, name, last_inbound_at, created_at, updated_at)
     select bench_uuid7(${createdAt}, g), $1,
            '+55' || (11 + g % 80) || '9' || lpad((${mix("g", 0)} % 90000000 + 10000000)::text, 8, '0'),
            ($2::text[])[1 + g % 30] || ' ' || ($3::text[])[1 + (g / 30) % 40],
            ${createdAt}, ${createdAt}, ${createdAt}
     from generate_series(1, ${n}) g`,
    [organizationId, FIRST_NAMES, LAST_NAMES],
  );
  // Status by age: the last three days (at least eight tickets) mostly open or pending, older ones
  // resolved or closed.
  await q(
    `insert into tickets (id, organization_id, number, contact_id, channel_id, queue_id, assignee_id, status,
                          subject, first_response_due_at, resolution_due_at, first_response_at, resolved_at,
                          closed_at, last_message_at, last_inbound_at, created_at, updated_at,
                          next_response_cycle, next_response_from, next_response_due_at, waiting_since,
                          next_response_breached_at)
     select bench_uuid7(t.created_at, g + 1000000000), $1, g, c.id, $2, queue_id,
            case when g % 5 = 0 then null else ($4::uuid[])[1 + g % 20] end,
            status,
            case when g % 10 = 0 then 'Pedido ' || g else null end,
            case when queue_id is null then null else t.created_at + interval '15 minutes' end,
            case when queue_id is null then null else t.created_at + interval '24 hours' end,
            case when status = 'open' and g % 3 = 0 then null
                 else t.created_at + (30 + ${mix("g", 1)} % 3600) * interval '1 second' end,
            case when status in ('resolved', 'closed') then t.created_at + (600 + ${mix("g", 2)} % 172800) * interval '1 second' end,
            case when status = 'closed' then t.created_at + interval '3 days' end,
            t.created_at + interval '10 minutes', t.created_at + interval '9 minutes', t.created_at, t.created_at,
            cycles,
            case when cycles > 0 then t.created_at + interval '20 minutes' end,
            case when cycles > 0 then t.created_at + interval '50 minutes' end,
            case when cycles > 0 and status in ('open', 'pending') and g % 2 = 0 then t.created_at + interval '20 minutes' end,
            case when cycles > 0 and g % 7 = 0 then t.created_at + interval '50 minutes' end
     from (select *, case when queue_id is null then 0 else g % 3 end as cycles from (
       select g, ${createdAt} as created_at,
              case when g % 4 = 0 then null else ($3::uuid[])[1 + g % 3] end as queue_id,
              case when g > ${n} - greatest(${n} * 3 / 365, 8) then (array['open', 'open', 'pending', 'resolved'])[1 + g % 4]
                   else (array['resolved', 'closed', 'closed'])[1 + g % 3] end as status
       from generate_series(1, ${n}) g
     ) t0) t
     join contacts c on c.organization_id = $1 and c.id = bench_uuid7(t.created_at, g)`,
    [organizationId, channelId, queueIds, agentIds],
  );
  // The recorded next-response breaches of the tickets marked above (the load bypasses the trigger
  // on sla_events that marks them).
  await q(
    `insert into sla_events (id, organization_id, ticket_id, kind, level, cycle, crossed_at, due_at, queue_id,
                             assignee_id, created_at)
     select bench_uuid7(next_response_breached_at, number + 2000000000), organization_id, id, 'next_response',
            'breached', 1, next_response_breached_at, next_response_breached_at, queue_id, assignee_id,
            next_response_breached_at
     from tickets where organization_id = $1 and next_response_breached_at is not null`,
    [organizationId],
  );
  // Messages k = 1..m of ticket g, a minute apart, customer and agent taking turns.
  await q(
    `insert into messages (id, organization_id, ticket_id, channel_id, contact_id, direction, type, body,
                           provider_message_id, status, sender_type, sender_id, created_at, updated_at)
     select bench_uuid7(sent, g * 100 + k), $1, t.id, $2, t.contact_id,
            case when k % 2 = 1 then 'inbound' else 'outbound' end, 'text',
            ($3::text[])[1 + ${mix("g * 100 + k", 3)} % ${PHRASES.length}]
              || case when ${mix("g * 100 + k", 4)} % 20 = 0 then ', quero o reembolso' else '' end
              || case when ${mix("g * 100 + k", 5)} % 2000 = 0 then ', mandem a segunda via do boleto' else '' end
              || case when k = 1 then ' (protocolo ' || upper(substr(md5('protocolo' || g), 1, 10)) || ')' else '' end,
            'wamid.seed.' || g || '.' || k,
            case when k % 2 = 1 then 'received' else 'delivered' end,
            case when k % 2 = 1 then 'contact' else 'user' end,
            case when k % 2 = 1 then null else t.assignee_id end,
            sent, sent
     from (select id, number as g, contact_id, assignee_id, created_at from tickets where organization_id = $1) t,
          lateral (select k, t.created_at + k * interval '1 minute' as sent from generate_series(1, ${size.messagesPerTicket}) k) m
     order by sent`,
    [organizationId, channelId, PHRASES],
  );
  await q("update organizations set ticket_seq = $2 where id = $1", [organizationId, n]);
  return { agentId: agentIds[1] as string, queueId: queueIds[0] as string };
}

/** The protocol code in the first message of ticket g (see the message seed above). */
export function protocolOf(g: number): string {
  return createHash("md5").update(`protocolo${g}`).digest("hex").slice(0, 10).toUpperCase();
}

/** The name and the phone of contact g (see the contact seed above). */
export function contactOf(g: number): { name: string; phone: string } {
  const digits = String((((g * (2654435761 + 0)) % 4294967296) % 90000000) + 10000000).padStart(8, "0");
  return {
    name: `${FIRST_NAMES[g % 30]} ${LAST_NAMES[Math.floor(g / 30) % 40]}`,
    phone: `+55${11 + (g % 80)}9${digits}`,
  };
}
