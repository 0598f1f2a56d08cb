import { Spinner, makeStyles, tokens } from "@fluentui/react-components";

const useStyles = makeStyles({
  root: {
    display: "flex",
    justifyContent: "flex-start",
    paddingBlock: tokens.spacingVerticalL,
  },
  centered: {
    justifyContent: "center",
    paddingBlock: tokens.spacingVerticalXXXL,
  },
});

/** A spinner with a visible label that also names the progressbar for assistive technology. */
export function Loading(props: { label: string; centered?: boolean; size?: "tiny" | "small" | "medium" }) {
  const styles = useStyles();
  return (
    <div className={props.centered ? `${styles.root} ${styles.centered}` : styles.root}>
      <Spinner label={props.label} size={props.size ?? "small"} labelPosition="after" />
    </div>
  );
}
