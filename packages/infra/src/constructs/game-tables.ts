/**
 * The game's two tables, created from the one-source definitions (`ENTITY_TABLE`, `AUDIT_LOG` in
 * `@ledgerquest/runtime`), with grants named by what a function does rather than by DynamoDB
 * action: `entities.grantReadState(fn)`, `journal.grantAppend(fn)`, `journal.grantSubmitCommands(fn)`.
 * Each grant lists exactly the actions its adapter sends (packages/aws/src/adapters) on the one
 * table (and its indexes) that intent needs; TransactWriteItems needs no action of its own, only
 * those of the items inside it.
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

/** `EntityTable`: players, worlds, connections, balances and the stream handler's projections. */
export class EntityTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: GameTableProps = {}) {
    super(scope, id);
    this.table = tableFromDefinition(this, ENTITY_TABLE, props);
  }

  /** Read state: items by key, and a world's connections through the indexes (`byWorld`). */
  grantReadState(grantee: iam.IGrantable): iam.Grant {
    return grant(
      grantee,
      ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
      [
        this.table.tableArn,
        ...ENTITY_TABLE.indexes.map((index) => `${this.table.tableArn}/index/${index.name}`),
      ],
    );
  }

  /**
   * List the worlds (an operator's query): a Scan of the table, filtered to world items. The
   * table alone, not its indexes.
   */
  grantListWorlds(grantee: iam.IGrantable): iam.Grant {
    return grant(grantee, ["dynamodb:Scan"], [this.table.tableArn]);
  }

  /**
   * Write state: create, replace, update and delete items with conditions (world commits,
   * projections, connections), alone or in transactions.
   */
  grantWriteState(grantee: iam.IGrantable): iam.Grant {
    return grant(
      grantee,
      [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:ConditionCheckItem",
      ],
      [this.table.tableArn],
    );
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

  /**
   * Append journal entries and batch records: conditional creates only (an entry is written once;
   * the same entry again is a retry). No UpdateItem, no DeleteItem: the journal is append-only,
   * and IAM says so too.
   */
  grantAppend(grantee: iam.IGrantable): iam.Grant {
    return grant(
      grantee,
      ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
      [this.table.tableArn],
    );
  }

  /** Read journal entries, batch records and inboxes. */
  grantRead(grantee: iam.IGrantable): iam.Grant {
    return grant(
      grantee,
      ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"],
      [this.table.tableArn],
    );
  }

  /**
   * Queue a player's command: one transaction of a watermark check and two conditional creates
   * (the command id's record and the inbox item).
   */
  grantSubmitCommands(grantee: iam.IGrantable): iam.Grant {
    return grant(
      grantee,
      ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
      [this.table.tableArn],
    );
  }

  /** Drain the inboxes: read commands, and create and move the shards' watermarks. */
  grantDrainInbox(grantee: iam.IGrantable): iam.Grant {
    return grant(
      grantee,
      ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
      [this.table.tableArn],
    );
  }

  /** Start a point-in-time export of the table to S3 (the daily backup). */
  grantExport(grantee: iam.IGrantable): iam.Grant {
    return grant(grantee, ["dynamodb:ExportTableToPointInTime"], [this.table.tableArn]);
  }
}
