/**
 * The client push port: messages to a player's open connection (the API Gateway Management API's
 * PostToConnection in AWS). A connection that has gone away is a normal outcome (`gone`), not an
 * error: the caller removes it from the entity store.
 */
export type PushResult = "sent" | "gone";

export interface ClientPush {
  post(connectionId: string, message: string): Promise<PushResult>;
}
