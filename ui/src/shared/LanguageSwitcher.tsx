import { Dropdown, Option, makeStyles } from "@fluentui/react-components";
import { useTranslation } from "react-i18next";
import { LANGUAGES, isLanguage } from "../i18n";

const useStyles = makeStyles({
  dropdown: { minWidth: "10em" },
});

/** Language picker. Each language is named in itself so it can be found whatever the current one is. */
export function LanguageSwitcher(props: { appearance?: "outline" | "underline" | "filled-darker" }) {
  const { t, i18n } = useTranslation();
  const styles = useStyles();
  const current = isLanguage(i18n.resolvedLanguage) ? i18n.resolvedLanguage : "en";

  return (
    <Dropdown
      aria-label={t("language.label")}
      className={styles.dropdown}
      appearance={props.appearance ?? "outline"}
      value={t(`language.${current}`)}
      selectedOptions={[current]}
      onOptionSelect={(_, data) => {
        if (isLanguage(data.optionValue)) void i18n.changeLanguage(data.optionValue);
      }}
    >
      {LANGUAGES.map((lng) => (
        <Option key={lng} value={lng} lang={lng}>
          {t(`language.${lng}`)}
        </Option>
      ))}
    </Dropdown>
  );
}
