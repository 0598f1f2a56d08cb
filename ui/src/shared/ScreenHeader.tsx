import { Body1, Title2, makeStyles, tokens } from "@fluentui/react-components";

const useStyles = makeStyles({
  root: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    marginBlockEnd: tokens.spacingVerticalXXL,
  },
  title: { margin: 0 },
  intro: { color: tokens.colorNeutralForeground2 },
});

/** The one h1 of a screen, with an optional line of introduction under it. */
export function ScreenHeader(props: { title: string; intro?: string }) {
  const styles = useStyles();
  return (
    <div className={styles.root}>
      <Title2 as="h1" className={styles.title}>{props.title}</Title2>
      {props.intro ? <Body1 className={styles.intro}>{props.intro}</Body1> : null}
    </div>
  );
}
