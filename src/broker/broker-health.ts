/** The broker side of /health, measured by the embedded broker or the external subscriber. */
export interface BrokerHealth {
  readonly mode: 'embedded' | 'external';
  readonly url: string;
  /** The embedded listener is open, or the external client is connected. */
  readonly connected: boolean;
  readonly clients?: number;
}
