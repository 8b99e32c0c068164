import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';

export const shortDigest = (digest?: string) =>
  digest ? digest.replace('sha256:', '').slice(0, 12) : undefined;
export const shortKey = (keyId?: string) => (keyId ? keyId.slice(0, 8) : '—');

export function age(iso?: string): string {
  if (!iso) return 'never';
  const seconds = Math.max(
    0,
    Math.round((Date.now() - new Date(iso).getTime()) / 1000),
  );
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

/** One labelled row of the card. */
export function Field({
  label,
  children,
}: {
  label: string;
  children: React.ReactNode;
}) {
  return (
    <Box display="flex" mb={1}>
      <Typography
        variant="body2"
        color="textSecondary"
        style={{ minWidth: 120 }}
      >
        {label}
      </Typography>
      <Box flex={1}>{children}</Box>
    </Box>
  );
}
