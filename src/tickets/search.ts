import { and, desc, eq, ilike, type SQL, sql } from "drizzle-orm";
import { contacts, messages, tickets } from "@/db/schema";
import { containing } from "@/platform/like";

/**
 * The tickets `q` finds, among those the other filters (`scope`) keep: `q` in the subject, in the
 * contact's name or phone, or in a message. Written as the newest `limit` tickets of each of the
 * three, united: a single OR across a join and two subqueries leaves PostgreSQL one plan (walk the
 * organization's tickets newest first and test each), which reads every ticket when few match;
 * apart, each part takes the cheaper of that walk and its trigram index (a rare word in a big
 * organization), and a small organization's search walks its own few tickets rather than a big
 * one's matches.
 * The newest `limit` of the union are the newest `limit` of the three parts together.
 */
export function ticketSearch(organizationId: string, q: string, scope: SQL | undefined, limit: number): SQL {
  const pattern = containing(q);
  const newest = (match: SQL | undefined) =>
    sql`(select ${tickets.id} from ${tickets} where ${and(scope, match)} order by ${desc(tickets.id)} limit ${limit})`;
  const contact = sql`${tickets.contactId} in (select ${contacts.id} from ${contacts} where ${and(
    eq(contacts.organizationId, organizationId),
    sql`(${contacts.name} ilike ${pattern} or ${contacts.phone} like ${pattern})`,
  )})`;
  const message = sql`exists (select 1 from ${messages} where ${and(
    eq(messages.ticketId, tickets.id),
    eq(messages.organizationId, organizationId),
    ilike(messages.body, pattern),
  )})`;
  return sql`${tickets.id} in (${newest(ilike(tickets.subject, pattern))} union all ${newest(contact)} union all ${newest(message)})`;
}
