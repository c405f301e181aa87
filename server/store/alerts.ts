/**
 * Alert rules, the figures their evaluation reads, and the log of their
 * deliveries (issue 14). The evaluation runs in one transaction under an
 * advisory lock of its own, so one server at a time evaluates and queues; a
 * delivery is claimed by moving its next attempt on in the statement that
 * picks it, so two servers never send it at once.
 */

import { type Database, sql } from "./drivers/database.ts";
import { storedJsonObject } from "./json_object.ts";

/** Advisory lock key held while alerts are evaluated ("shm" + "alrt" as digits). */
const ALERT_LOCK_KEY = 73_687_709_004;

/** The kinds of rule, as the database checks them. */
export type AlertKind = "active_drop" | "silence" | "version_share" | "metric_threshold";

/** One stored rule. */
export interface AlertRuleRow {
  readonly id: number;
  readonly appId: number;
  readonly slug: string;
  /** The application's name as shown (display name, else reported). */
  readonly appName: string;
  readonly kind: AlertKind;
  readonly params: Readonly<Record<string, unknown>>;
  readonly webhookUrl: string | null;
  readonly email: string | null;
  readonly firing: boolean;
  readonly state: Readonly<Record<string, unknown>>;
  readonly lastEvaluatedAt: Date | null;
  readonly lastFiredAt: Date | null;
  readonly createdAt: Date;
}

/** A rule to store; its secret signs its webhook deliveries. */
export interface NewAlertRule {
  readonly kind: AlertKind;
  readonly params: Readonly<Record<string, unknown>>;
  readonly webhookUrl: string | null;
  readonly email: string | null;
  readonly secret: string;
  readonly state: Readonly<Record<string, unknown>>;
}

/** A message to send: a rule firing or clearing, a test, a weekly digest. */
export interface NewDelivery {
  readonly appId: number;
  readonly ruleId: number | null;
  readonly channel: "webhook" | "email";
  readonly target: string;
  readonly event: "firing" | "cleared" | "test" | "digest";
  readonly payload: Readonly<Record<string, unknown>>;
}

/** One delivery as the log shows it and as the sender claims it. */
export interface DeliveryRow {
  readonly id: number;
  readonly appId: number;
  readonly ruleId: number | null;
  readonly channel: "webhook" | "email";
  readonly target: string;
  readonly event: NewDelivery["event"];
  readonly payload: Readonly<Record<string, unknown>>;
  readonly status: "pending" | "delivered" | "failed";
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly responseStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

/** A claimed delivery with the secret of its rule (null once the rule is gone). */
export interface ClaimedDelivery extends DeliveryRow {
  readonly secret: string | null;
}

const RULE_COLUMNS = sql`r.id, r.app_id as "appId", a.slug,
  coalesce(a.display_name, a.name) as "appName", r.kind, r.params, r.webhook_url as "webhookUrl",
  r.email, r.firing, r.state, r.last_evaluated_at as "lastEvaluatedAt",
  r.last_fired_at as "lastFiredAt", r.created_at as "createdAt"`;

const DELIVERY_COLUMNS = sql`d.id, d.app_id as "appId", d.rule_id as "ruleId", d.channel,
  d.target, d.event, d.payload, d.status, d.attempts, d.next_attempt_at as "nextAttemptAt",
  d.response_status as "responseStatus", d.last_error as "lastError",
  d.created_at as "createdAt", d.finished_at as "finishedAt"`;

/** Stores `rule` for application `appId` as of `now`; returns it as stored. */
export async function insertAlertRule(
  db: Database,
  options: { appId: number; rule: NewAlertRule; now: Date },
): Promise<AlertRuleRow> {
  const { rule } = options;
  // JSON text goes to jsonb through text: cast straight to jsonb, the PostgreSQL driver takes the
  // parameter for jsonb and encodes the text again, storing a string (migration 0017).
  const [row] = await db.query<{ id: number }>(sql`
    insert into alert_rules (app_id, kind, params, webhook_url, email, secret, state, created_at)
    values (${options.appId}, ${rule.kind}, ${JSON.stringify(rule.params)}::text::jsonb,
      ${rule.webhookUrl}, ${rule.email}, ${rule.secret}, ${JSON.stringify(rule.state)}::text::jsonb,
      ${options.now})
    returning id`);
  return (await findAlertRule(db, { appId: options.appId, ruleId: row!.id }))!;
}

/** How many rules application `appId` has. */
export async function countAlertRules(db: Database, appId: number): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    sql`select count(*)::int as n from alert_rules where app_id = ${appId}`,
  );
  return row?.n ?? 0;
}

/** Application `appId`'s rules, oldest first. */
export async function listAlertRules(db: Database, appId: number): Promise<AlertRuleRow[]> {
  const rows = await db.query<AlertRuleRow>(sql`
    select ${RULE_COLUMNS} from alert_rules r join applications a on a.id = r.app_id
    where r.app_id = ${appId} order by r.id`);
  return rows.map(ruleOf);
}

/** Rule `ruleId` of application `appId`; null when it has no such rule. */
export async function findAlertRule(
  db: Database,
  options: { appId: number; ruleId: number },
): Promise<AlertRuleRow | null> {
  const [row] = await db.query<AlertRuleRow>(sql`
    select ${RULE_COLUMNS} from alert_rules r join applications a on a.id = r.app_id
    where r.app_id = ${options.appId} and r.id = ${options.ruleId}`);
  return row === undefined ? null : ruleOf(row);
}

/** Removes rule `ruleId` of application `appId` (its log stays); false when there was none. */
export async function deleteAlertRule(
  db: Database,
  options: { appId: number; ruleId: number },
): Promise<boolean> {
  const rows = await db.query(sql`
    delete from alert_rules where app_id = ${options.appId} and id = ${options.ruleId}
    returning id`);
  return rows.length > 0;
}

/** The secret of rule `ruleId`; null when it is gone. */
export async function findAlertSecret(db: Database, ruleId: number): Promise<string | null> {
  const [row] = await db.query<{ secret: string }>(
    sql`select secret from alert_rules where id = ${ruleId}`,
  );
  return row?.secret ?? null;
}

/** What the evaluation of one application's rules reads besides its summary. */
export interface AlertAppFigures {
  /**
   * Average active instances of the days from `from` to the day before `to` with a rollup, out
   * of the application's excluded environments (scope `counted`); null: none.
   */
  readonly averageActive: number | null;
  /** The newest snapshot any of its instances sent; null: none ever. */
  readonly lastSnapshotAt: Date | null;
}

/** The figures of application `appId` for its rules: the days `[from, to)` (UTC days). */
export async function alertAppFigures(
  db: Database,
  options: { appId: number; from: Date; to: Date },
): Promise<AlertAppFigures> {
  const [row] = await db.query<{ averageActive: number | null; lastSnapshotAt: Date | null }>(
    sql`
    select (select avg(active)::float8 from app_days where app_id = ${options.appId}
        and scope = 'counted' and day >= ${isoDay(options.from)}::date and day < ${
      isoDay(options.to)
    }::date)
        as "averageActive",
      (select max(last_snapshot_at) from instances where app_id = ${options.appId})
        as "lastSnapshotAt"`,
  );
  return {
    averageActive: row?.averageActive ?? null,
    lastSnapshotAt: row?.lastSnapshotAt == null ? null : new Date(row.lastSnapshotAt),
  };
}

/**
 * Runs `work` with every rule, in one transaction holding the alerts' lock;
 * resolves `{ ran: false }` at once when another server holds it.
 */
export async function withAlertLock<T>(
  db: Database,
  work: (tx: Database, rules: AlertRuleRow[]) => Promise<T>,
): Promise<{ ran: true; result: T } | { ran: false }> {
  return await db.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>(
      sql`select pg_try_advisory_xact_lock(${ALERT_LOCK_KEY}::bigint) as locked`,
    );
    if (!lock?.locked) return { ran: false } as const;
    const rules = await tx.query<AlertRuleRow>(sql`
      select ${RULE_COLUMNS} from alert_rules r join applications a on a.id = r.app_id
      order by r.app_id, r.id`);
    return { ran: true, result: await work(tx, rules.map(ruleOf)) } as const;
  });
}

/** Saves what an evaluation of rule `ruleId` found. */
export async function saveAlertState(
  db: Database,
  options: {
    ruleId: number;
    firing: boolean;
    fired: boolean;
    state: Readonly<Record<string, unknown>>;
    now: Date;
  },
): Promise<void> {
  await db.query(sql`
    update alert_rules set firing = ${options.firing}, state = ${
    JSON.stringify(options.state)
  }::text::jsonb,
      last_evaluated_at = ${options.now},
      last_fired_at = case when ${options.fired} then ${options.now}::timestamptz
        else last_fired_at end
    where id = ${options.ruleId}`);
}

/** Queues `delivery`, due at `now`; returns its id. */
export async function insertDelivery(
  db: Database,
  options: { delivery: NewDelivery; now: Date },
): Promise<number> {
  const d = options.delivery;
  const [row] = await db.query<{ id: number }>(sql`
    insert into alert_deliveries (app_id, rule_id, channel, target, event, payload,
      next_attempt_at, created_at)
    values (${d.appId}, ${d.ruleId}, ${d.channel}, ${d.target}, ${d.event},
      ${JSON.stringify(d.payload)}::text::jsonb, ${options.now}, ${options.now})
    returning id`);
  return row!.id;
}

/**
 * Claims at most `limit` deliveries due at `now` (or delivery `id` alone,
 * due or not): counts an attempt and moves the next one on (the retry if
 * this one fails) by `retryAfterSeconds[n - 1]` after attempt n (the last
 * entry for later ones), in one statement that skips rows another server is
 * claiming.
 */
export async function claimDeliveries(
  db: Database,
  options: { now: Date; limit: number; retryAfterSeconds: readonly number[]; id?: number },
): Promise<ClaimedDelivery[]> {
  const delays = [...options.retryAfterSeconds];
  const only = options.id === undefined
    ? sql`status = 'pending' and next_attempt_at <= ${options.now}`
    : sql`status = 'pending' and id = ${options.id}`;
  const rows = await db.query<ClaimedDelivery>(sql`
    update alert_deliveries d
    set attempts = d.attempts + 1,
      next_attempt_at = ${options.now}::timestamptz
        + make_interval(secs => coalesce((${delays}::int[])[d.attempts + 1],
          ${delays[delays.length - 1] ?? 60}::int))
    where d.id in (
      select id from alert_deliveries where ${only}
      order by next_attempt_at, id limit ${options.limit}
      for update skip locked)
    returning ${DELIVERY_COLUMNS},
      (select secret from alert_rules r where r.id = d.rule_id) as secret`);
  return rows.map(deliveryOf);
}

/** Records an attempt's outcome: delivered, failed for good, or pending until its next attempt. */
export async function finishDeliveryAttempt(
  db: Database,
  options: {
    id: number;
    status: DeliveryRow["status"];
    responseStatus: number | null;
    error: string | null;
    now: Date;
  },
): Promise<void> {
  await db.query(sql`
    update alert_deliveries set status = ${options.status},
      response_status = ${options.responseStatus}, last_error = ${options.error},
      finished_at = case when ${options.status} = 'pending' then null
        else ${options.now}::timestamptz end
    where id = ${options.id}`);
}

/** Application `appId`'s newest `limit` deliveries, newest first. */
export async function listDeliveries(
  db: Database,
  options: { appId: number; limit: number },
): Promise<DeliveryRow[]> {
  const rows = await db.query<DeliveryRow>(sql`
    select ${DELIVERY_COLUMNS} from alert_deliveries d
    where d.app_id = ${options.appId} order by d.id desc limit ${options.limit}`);
  return rows.map(deliveryOf);
}

/**
 * The applications whose weekly digest is due at `now` (none sent since
 * `dueBefore`), each with the distinct addresses of its rules, and marks
 * them sent; an application seen for the first time is marked without a
 * digest, so the first one follows a week after its first email rule.
 */
export async function takeDueDigests(
  db: Database,
  options: { now: Date; dueBefore: Date },
): Promise<{ appId: number; slug: string; appName: string; emails: string[] }[]> {
  await db.query(sql`
    insert into alert_digests (app_id, sent_at)
    select distinct app_id, ${options.now}::timestamptz from alert_rules where email is not null
    on conflict (app_id) do nothing`);
  const due = await db.query<{ appId: number; slug: string; appName: string; emails: string[] }>(
    sql`
    update alert_digests g set sent_at = ${options.now}
    from applications a
    where a.id = g.app_id and g.sent_at <= ${options.dueBefore}
      and exists (select 1 from alert_rules r where r.app_id = g.app_id and r.email is not null)
    returning g.app_id as "appId", a.slug, coalesce(a.display_name, a.name) as "appName",
      array(select distinct r.email from alert_rules r
        where r.app_id = g.app_id and r.email is not null order by 1) as emails`,
  );
  return due;
}

/**
 * An application's new and gone instances over the days `[from, to)`, from its rollups, out of
 * its excluded environments (scope `counted`).
 */
export async function appWeekCounts(
  db: Database,
  options: { appId: number; from: Date; to: Date },
): Promise<{ newInstances: number; goneInstances: number }> {
  const [row] = await db.query<{ newInstances: number; goneInstances: number }>(sql`
    select coalesce(sum(new), 0)::int as "newInstances", coalesce(sum(gone), 0)::int
      as "goneInstances"
    from app_days where app_id = ${options.appId} and scope = 'counted'
      and day >= ${isoDay(options.from)}::date and day < ${isoDay(options.to)}::date`);
  return row ?? { newInstances: 0, goneInstances: 0 };
}

function ruleOf(row: AlertRuleRow): AlertRuleRow {
  return {
    ...row,
    params: storedJsonObject(row.params),
    state: storedJsonObject(row.state),
    lastEvaluatedAt: row.lastEvaluatedAt === null ? null : new Date(row.lastEvaluatedAt),
    lastFiredAt: row.lastFiredAt === null ? null : new Date(row.lastFiredAt),
    createdAt: new Date(row.createdAt),
  };
}

function deliveryOf<Row extends DeliveryRow>(row: Row): Row {
  return {
    ...row,
    payload: storedJsonObject(row.payload),
    nextAttemptAt: new Date(row.nextAttemptAt),
    createdAt: new Date(row.createdAt),
    finishedAt: row.finishedAt === null ? null : new Date(row.finishedAt),
  };
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
