import { Radio, RadioGroup } from "@fluentui/react-components";
import { useTranslation } from "react-i18next";
import { LANGUAGES, isLanguage } from "../i18n";

/** Language as a radio group: every choice visible at once, one click or arrow key to switch. */
export function LanguageChoice() {
  const { t, i18n } = useTranslation();
  const current = isLanguage(i18n.resolvedLanguage) ? i18n.resolvedLanguage : "en";
  return (
    <RadioGroup
      aria-label={t("language.label")}
      value={current}
      onChange={(_, data) => {
        if (isLanguage(data.value)) void i18n.changeLanguage(data.value);
      }}
    >
      {LANGUAGES.map((lng) => (
        <Radio key={lng} value={lng} lang={lng} label={t(`language.${lng}`)} />
      ))}
    </RadioGroup>
  );
}
