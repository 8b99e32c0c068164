import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import {
  AttestationStatus as Status,
  Variant,
} from '@internal/backstage-plugin-base-images-common';
import Chip from '@material-ui/core/Chip';

const WORDS: Record<Status, { label: string; meaning: string }> = {
  verified: {
    label: 'Verified',
    meaning: 'signed by a trusted key, with every required attestation',
  },
  incomplete: {
    label: 'Incomplete',
    meaning: 'signatures verify, but a required attestation is missing',
  },
  unsigned: { label: 'Unsigned', meaning: 'no signature found' },
  invalid: {
    label: 'Invalid',
    meaning: 'a signature or attestation does not verify',
  },
  unavailable: {
    label: 'Unavailable',
    meaning: 'the registry could not be asked',
  },
  'not-checked': {
    label: 'Not checked',
    meaning: 'no usable base image, or its registry is not allowed',
  },
};

export const statusLabel = (status: Status) => WORDS[status]?.label ?? status;
export const statusMeaning = (status: Status) => WORDS[status]?.meaning ?? '';

/** The attestation status as an icon and words, so it reads without colour. */
export function AttestationStatusLabel({ status }: { status: Status }) {
  const label = statusLabel(status);
  switch (status) {
    case 'verified':
      return <StatusOK>{label}</StatusOK>;
    case 'invalid':
      return <StatusError>{label}</StatusError>;
    case 'incomplete':
    case 'unsigned':
      return <StatusWarning>{label}</StatusWarning>;
    case 'unavailable':
      return <StatusPending>{label}</StatusPending>;
    default:
      return <StatusAborted>{label}</StatusAborted>;
  }
}

const VARIANT_LABELS: Record<Variant, string> = {
  slim: 'slim',
  dhi: 'DHI',
  'dhi-fips': 'DHI FIPS',
};

export function VariantChip({ variant }: { variant?: Variant }) {
  if (!variant) return null;
  return (
    <Chip
      size="small"
      label={VARIANT_LABELS[variant] ?? variant}
      color={variant === 'slim' ? 'default' : 'primary'}
    />
  );
}
