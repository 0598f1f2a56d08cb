import {
  Table,
  TableBody,
  TableCell,
  TableCellLayout,
  TableHeader,
  TableHeaderCell,
  TableRow,
  makeStyles,
} from "@fluentui/react-components";
import { VaultRegular } from "@fluentui/react-icons";
import { useTranslation } from "react-i18next";
import type { RecoveryVault } from "../../../bindings";

const useStyles = makeStyles({
  table: { tableLayout: "auto" },
});

export function VaultsTable(props: { vaults: RecoveryVault[]; label: string }) {
  const { t } = useTranslation();
  const styles = useStyles();
  const none = t("vaults.none");

  return (
    <Table aria-label={props.label} className={styles.table} size="small">
      <TableHeader>
        <TableRow>
          <TableHeaderCell>{t("vaults.columns.name")}</TableHeaderCell>
          <TableHeaderCell>{t("vaults.columns.resourceGroup")}</TableHeaderCell>
          <TableHeaderCell>{t("vaults.columns.location")}</TableHeaderCell>
          <TableHeaderCell>{t("vaults.columns.redundancy")}</TableHeaderCell>
          <TableHeaderCell>{t("vaults.columns.state")}</TableHeaderCell>
        </TableRow>
      </TableHeader>
      <TableBody>
        {props.vaults.map((v) => (
          <TableRow key={v.id}>
            <TableCell>
              <TableCellLayout media={<VaultRegular aria-hidden />}>{v.name}</TableCellLayout>
            </TableCell>
            <TableCell>{v.resourceGroup}</TableCell>
            <TableCell>{v.location}</TableCell>
            <TableCell>{v.storageRedundancy ?? none}</TableCell>
            <TableCell>{v.provisioningState ?? none}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
