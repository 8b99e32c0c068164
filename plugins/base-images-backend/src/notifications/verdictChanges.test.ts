import { BaseImageStatusResponse } from '@internal/backstage-plugin-base-images-common';
import { statusOf } from './__testUtils__/statuses';
import {
  decideNotification,
  NotifierState,
  verdictOf,
  VerdictWorsening,
} from './verdictChanges';

function describeWorsening(worsening: VerdictWorsening): string {
  if (worsening.kind === 'attestation')
    return `${worsening.from}->${worsening.to}`;
  if (worsening.kind === 'finding') return `finding ${worsening.finding}`;
  return 'drift';
}

/** Runs refreshes through the decision, as the notifier does, and lists what it would send. */
function run(...refreshes: BaseImageStatusResponse[]): string[] {
  let stored: NotifierState | undefined;
  const sent: string[] = [];
  for (const current of refreshes) {
    const decision = decideNotification(stored, undefined, current);
    stored = decision.next;
    if (decision.notify?.kind === 'worsened')
      sent.push(
        `worsened: ${decision.notify.worsenings
          .map(describeWorsening)
          .join(', ')}`,
      );
    else if (decision.notify) sent.push('resolved');
  }
  return sent;
}

describe('decideNotification', () => {
  it.each(['invalid', 'unsigned', 'incomplete'] as const)(
    'notifies once when a verified image becomes %s, and once when it is verified again',
    status => {
      expect(
        run(
          statusOf('verified'),
          statusOf('verified'),
          statusOf(status),
          statusOf(status),
          statusOf(status),
          statusOf('verified'),
          statusOf('verified'),
        ),
      ).toEqual([`worsened: verified->${status}`, 'resolved']);
    },
  );

  it('notifies when a compliant service drifts, and when it complies again', () => {
    expect(
      run(
        statusOf('verified', 'compliant'),
        statusOf('verified', 'drift'),
        statusOf('verified', 'drift'),
        statusOf('verified', 'compliant'),
      ),
    ).toEqual(['worsened: drift', 'resolved']);
  });

  it('notifies about a new finding, not about one already known', () => {
    expect(
      run(
        statusOf('unsigned', 'compliant', ['declared-differs']),
        statusOf('unsigned', 'compliant', ['declared-differs', 'outdated']),
        statusOf('unsigned', 'compliant', ['declared-differs', 'outdated']),
        statusOf('unsigned', 'compliant', ['declared-differs']),
      ),
    ).toEqual(['worsened: finding outdated', 'resolved']);
  });

  it('says nothing about the state it first finds, however bad', () => {
    expect(
      run(
        statusOf('invalid', 'drift', ['outdated']),
        statusOf('invalid', 'drift', ['outdated']),
      ),
    ).toEqual([]);
  });

  it('judges the first change against the previous verdict the refresh reports', () => {
    const decision = decideNotification(
      undefined,
      { status: 'verified', verdict: 'compliant' },
      statusOf('invalid', 'compliant', ['outdated']),
    );
    // the refresh's verdict carries no findings: those found now are not news
    expect(decision.notify).toEqual({
      kind: 'worsened',
      worsenings: [{ kind: 'attestation', from: 'verified', to: 'invalid' }],
    });
    expect(decision.next.openSince).toEqual({
      attestation: 'verified',
      policy: 'compliant',
      findings: ['outdated'],
    });
    expect(
      decideNotification(
        undefined,
        { status: 'unavailable', verdict: 'error' },
        statusOf('invalid', 'drift'),
      ).notify,
    ).toBeUndefined();
  });

  it('sees through an outage: verified, unavailable, invalid is one worsening', () => {
    expect(
      run(
        statusOf('verified'),
        statusOf('unavailable'),
        statusOf('unavailable'),
        statusOf('invalid'),
      ),
    ).toEqual(['worsened: verified->invalid']);
  });

  it('neither notifies nor resolves on statuses that say nothing about the image', () => {
    expect(
      run(
        statusOf('verified'),
        statusOf('not-checked'),
        statusOf('unavailable'),
        statusOf('verified'),
      ),
    ).toEqual([]);
    expect(
      run(statusOf('verified'), statusOf('invalid'), statusOf('unavailable')),
    ).toEqual(['worsened: verified->invalid']);
  });

  it('takes a policy error for no news, and drift after it for a worsening', () => {
    expect(
      run(
        statusOf('verified', 'compliant'),
        statusOf('verified', 'error'),
        statusOf('verified', 'drift'),
      ),
    ).toEqual(['worsened: drift']);
  });

  it('notifies again on a further worsening, and resolves only back at the state before the first', () => {
    expect(
      run(
        statusOf('verified'),
        statusOf('unsigned'),
        statusOf('invalid'),
        // better than invalid, still worse than where it started
        statusOf('unsigned'),
        statusOf('verified'),
      ),
    ).toEqual([
      'worsened: verified->unsigned',
      'worsened: unsigned->invalid',
      'resolved',
    ]);
  });

  it('does not call an improvement with nothing open a recovery', () => {
    expect(
      run(
        statusOf('unsigned', 'drift'),
        statusOf('verified', 'compliant'),
        statusOf('verified', 'compliant'),
      ),
    ).toEqual([]);
  });
});

describe('verdictOf', () => {
  it('keeps what the status says nothing about from before', () => {
    const before = verdictOf(statusOf('verified', 'compliant'));
    expect(verdictOf(statusOf('unavailable', 'error'), before)).toEqual({
      attestation: 'verified',
      policy: 'compliant',
      findings: [],
    });
  });

  it('knows no policy verdict without an image', () => {
    const { image, ...noImage } = statusOf('not-checked', 'drift');
    expect(image).toBeDefined();
    expect(verdictOf(noImage)).toEqual({ findings: [] });
  });
});
