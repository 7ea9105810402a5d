/**
 * The operators' saved CloudWatch Logs Insights queries, and the dashboard widgets that run them.
 *
 * The queries are the handlers' own (`LOG_QUERIES` of `@ledgerquest/aws`, next to the log lines
 * they search, which the aws package's tests print and check field by field); this construct only
 * places them: one `AWS::Logs::QueryDefinition` each, over the log groups of the functions it
 * names, in a folder of the stage (`ledgerquest-<stage>-queries/<Id>` in the console's list).
 */
import { LOG_QUERIES, type LogQuery } from "@ledgerquest/aws";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { HANDLER_NAMES, type HandlerName } from "../bundle.js";
import { InfraConfigError } from "../errors.js";

export interface LogInsightsProps {
  /** Where the saved queries are listed: `<folder>/<query id>`. */
  readonly folder: string;
  /** Each handler's function, whose log group its queries read. */
  readonly functions: Readonly<Record<HandlerName, { readonly logGroup: logs.ILogGroup }>>;
  /** The queries to save. @default LOG_QUERIES */
  readonly queries?: readonly LogQuery[];
}

export class LogInsights extends Construct {
  /** The saved queries, by query id. */
  readonly definitions: Readonly<Record<string, logs.CfnQueryDefinition>>;
  private readonly queries: readonly LogQuery[];
  private readonly functions: LogInsightsProps["functions"];

  constructor(scope: Construct, id: string, props: LogInsightsProps) {
    super(scope, id);
    this.queries = props.queries ?? LOG_QUERIES;
    this.functions = props.functions;
    const definitions: Record<string, logs.CfnQueryDefinition> = {};
    for (const query of this.queries) {
      definitions[query.id] = new logs.CfnQueryDefinition(this, query.id, {
        name: `${props.folder}/${query.id}`,
        queryString: query.query,
        logGroupNames: this.groupsOf(query).map((group) => group.logGroupName),
      });
    }
    this.definitions = definitions;
  }

  /** One table widget a query, two to a dashboard row, most recent three hours by default. */
  widgets(): cloudwatch.IWidget[][] {
    const rows: cloudwatch.IWidget[][] = [];
    this.queries.forEach((query, i) => {
      const widget = new cloudwatch.LogQueryWidget({
        title: query.title,
        logGroupNames: this.groupsOf(query).map((group) => group.logGroupName),
        queryString: query.query,
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width: 12,
        height: 6,
      });
      if (i % 2 === 0) rows.push([widget]);
      else rows[rows.length - 1]?.push(widget);
    });
    return rows;
  }

  private groupsOf(query: LogQuery): logs.ILogGroup[] {
    return query.handlers.map((handler) => {
      if (!(HANDLER_NAMES as readonly string[]).includes(handler)) {
        throw new InfraConfigError(
          `log query ${query.id}`,
          `names the handler ${handler}, which is not one of ${HANDLER_NAMES.join(", ")}`,
        );
      }
      return this.functions[handler as HandlerName].logGroup;
    });
  }
}
