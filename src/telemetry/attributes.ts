/** Attribute names shared by logs and traces (the Factory IAM document's telemetry attributes). */
export const ATTR = {
  orgId: 'org.id',
  userId: 'user.id',
  teamId: 'team.id',
  sessionId: 'session.id',
  connectionId: 'connection.id',
  requestId: 'request.id',
} as const;
