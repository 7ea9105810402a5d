/**
 * The game's two tables, created from the one-source definitions (`ENTITY_TABLE`, `AUDIT_LOG` in
 * `@ledgerquest/runtime`), with grants named by what a function does rather than by DynamoDB
 * action: `entities.grantReadWorlds(fn)`, `journal.grantAppend(fn)`,
 * `journal.grantSubmitCommands(fn)`. Each grant is an intent of access.ts: exactly the actions its
 * adapter sends (packages/aws/src/adapters), on the items whose partition key has the intent's
 * prefixes (`dynamodb:LeadingKeys`), of the one table (or index) it needs. TransactWriteItems
 * needs no action of its own, only those of the items inside it.
 */

import {
  type AttributeType,
  AUDIT_LOG,
  ENTITY_TABLE,
  type KeyAttribute,
  type TableDefinition,
} from "@ledgerquest/runtime";
import { RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";
import { ACCESS, type KeyAccess } from "../access.js";

const ATTRIBUTE_TYPES: Readonly<Record<AttributeType, dynamodb.AttributeType>> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}

const STREAM_VIEWS = {
  NEW_IMAGE: dynamodb.StreamViewType.NEW_IMAGE,
  NEW_AND_OLD_IMAGES: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
} as const;

export interface GameTableProps {
  /**
   * Refuse deletion through the API and CloudFormation (DynamoDB deletion protection).
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the table when it leaves the stack. Tables hold the game's value (the
   * ledger): they are kept unless told otherwise.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A table from a one-source definition: on demand, point-in-time recovery on, encrypted with an
 * AWS-owned key, kept on removal; its keys, stream, TTL and indexes exactly as defined.
 */
export function tableFromDefinition(
  scope: Construct,
  def: TableDefinition,
  props: GameTableProps = {},
): dynamodb.Table {
  const table = new dynamodb.Table(scope, def.logicalName, {
    partitionKey: attribute(def.partitionKey),
    ...(def.sortKey === undefined ? {} : { sortKey: attribute(def.sortKey) }),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    ...(def.stream === undefined ? {} : { stream: STREAM_VIEWS[def.stream] }),
    ...(def.timeToLiveAttribute === undefined
      ? {}
      : { timeToLiveAttribute: def.timeToLiveAttribute }),
    deletionProtection: props.deletionProtection ?? false,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  for (const index of def.indexes ?? []) {
    table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: attribute(index.partitionKey),
      ...(index.sortKey === undefined ? {} : { sortKey: attribute(index.sortKey) }),
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
  return table;
}

function grant(
  grantee: iam.IGrantable,
  actions: readonly string[],
  resourceArns: readonly string[],
): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: [...actions],
    resourceArns: [...resourceArns],
  });
}

/**
 * One statement per rule of `access`: its actions on the table (or the index it names), only on
 * items whose partition key matches one of its patterns (`dynamodb:LeadingKeys`).
 */
function grantKeys(grantee: iam.IGrantable, tableArn: string, access: KeyAccess): iam.Grant {
  const resource = access.index === undefined ? tableArn : `${tableArn}/index/${access.index}`;
  const grants = access.rules.map((rule) =>
    iam.Grant.addToPrincipal({
      grantee,
      actions: [...rule.actions],
      resourceArns: [resource],
      conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...rule.keys] } },
    }),
  );
  return grants.reduce((all, g) => all.combine(g));
}

/**
 * `EntityTable`: players, worlds, connections, balances and the stream handler's projections.
 * Each grant is one intent of access.ts: its actions on its keys only.
 */
export class EntityTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: GameTableProps = {}) {
    super(scope, id);
    this.table = tableFromDefinition(this, ENTITY_TABLE, props);
  }

  #grant(grantee: iam.IGrantable, access: KeyAccess): iam.Grant {
    if (access.table !== "EntityTable") throw new Error(`${access.table} is not EntityTable`);
    return grantKeys(grantee, this.table.tableArn, access);
  }

  /** Read world items. */
  grantReadWorlds(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.readWorlds);
  }

  /** Commit batches: replace world items, conditioned on their version. */
  grantCommitWorlds(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.commitWorlds);
  }

  /** Read the player and balance projections. */
  grantReadProjections(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.readProjections);
  }

  /** Write the player and balance projections. */
  grantWriteProjections(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.writeProjections);
  }

  /** Record connections, counted per player and world. */
  grantOpenConnections(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.openConnections);
  }

  /** Forget connections. */
  grantCloseConnections(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.closeConnections);
  }

  /** Read connections by id. */
  grantReadConnections(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.readConnections);
  }

  /** Take tokens of connections' rate limits (the command and query functions). */
  grantRateLimits(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.rateLimits);
  }

  /** A world's connections, through the `byWorld` index (by name, not `index/*`). */
  grantListConnections(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.listConnections);
  }

  /** The active worlds, through the `byWorld` index. */
  grantListActiveWorlds(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.listActiveWorlds);
  }

  /** The stream verifier's chain heads and leaderboards. */
  grantVerifierState(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.verifierState);
  }

  /**
   * List the worlds (an operator's query): a Scan of the table, filtered to world items. A Scan
   * has no partition key, so no key condition can narrow it: it reads every item. The table
   * alone, not its indexes.
   */
  grantListWorlds(grantee: iam.IGrantable): iam.Grant {
    return grant(grantee, ["dynamodb:Scan"], [this.table.tableArn]);
  }

  /** Start a point-in-time export of the table to S3 (the daily backup). */
  grantExport(grantee: iam.IGrantable): iam.Grant {
    return grant(grantee, ["dynamodb:ExportTableToPointInTime"], [this.table.tableArn]);
  }
}

/**
 * `AuditLog`: the ledger journal, the per-batch records and the command inboxes; its stream
 * (NEW_IMAGE) feeds the chain verifier.
 */
export class Journal extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: GameTableProps = {}) {
    super(scope, id);
    this.table = tableFromDefinition(this, AUDIT_LOG, props);
  }

  /** The table's stream ARN (the table is defined with one). */
  get streamArn(): string {
    const arn = this.table.tableStreamArn;
    if (arn === undefined) throw new Error("the AuditLog definition has no stream");
    return arn;
  }

  // Alike: EntityTable's #grant and grant methods above: one method per intent of ACCESS, on
  // its own table, so a stack's grants read as what each handler may do.
  #grant(grantee: iam.IGrantable, access: KeyAccess): iam.Grant {
    if (access.table !== "AuditLog") throw new Error(`${access.table} is not AuditLog`);
    return grantKeys(grantee, this.table.tableArn, access);
  }

  /**
   * Append journal entries and batch records: conditional creates of `journal#` and `batch#`
   * items only. No UpdateItem, no DeleteItem, for anyone: the journal is append-only, and IAM
   * says so too.
   */
  grantAppend(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.append);
  }

  /** Read journal entries and batch records. */
  grantReadJournal(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.readJournal);
  }

  /**
   * Queue a player's command: one transaction of a watermark check and two conditional creates
   * (the command id's record and the inbox item), and a read of the watermark when it rose.
   */
  grantSubmitCommands(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.submitCommands);
  }

  /** Drain the inboxes: raise and read the shards' watermarks, read the commands below them. */
  grantDrainInbox(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.drainInbox);
  }

  /** Read the commands of the inboxes. */
  grantReadInbox(grantee: iam.IGrantable): iam.Grant {
    return this.#grant(grantee, ACCESS.readInbox);
  }

  /** Start a point-in-time export of the table to S3 (the daily backup). */
  grantExport(grantee: iam.IGrantable): iam.Grant {
    return grant(grantee, ["dynamodb:ExportTableToPointInTime"], [this.table.tableArn]);
  }
}
