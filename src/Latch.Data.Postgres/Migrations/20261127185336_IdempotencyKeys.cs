using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latch.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class IdempotencyKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Fingerprint",
                table: "ActionRequests",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "IdempotencyKey",
                table: "ActionRequests",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "UnrecordedOutcome",
                table: "ActionRequests",
                type: "text",
                maxLength: 2147483647,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_ActionRequests_RequestedBy_IdempotencyKey",
                table: "ActionRequests",
                columns: new[] { "RequestedBy", "IdempotencyKey" },
                unique: true,
                filter: "\"IdempotencyKey\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_ActionRequests_RequestedBy_IdempotencyKey",
                table: "ActionRequests");

            migrationBuilder.DropColumn(
                name: "Fingerprint",
                table: "ActionRequests");

            migrationBuilder.DropColumn(
                name: "IdempotencyKey",
                table: "ActionRequests");

            migrationBuilder.DropColumn(
                name: "UnrecordedOutcome",
                table: "ActionRequests");
        }
    }
}
