using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Latch.Data.Postgres.Migrations
{
    /// <inheritdoc />
    public partial class DeviceChannels : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "EnrolledThrough",
                table: "Devices",
                type: "character varying(40)",
                maxLength: 40,
                nullable: true);

            // Devices enrolled before channels were recorded are Apple's: the only channel until now.
            migrationBuilder.Sql(
                """
                UPDATE "Devices" SET "EnrolledThrough" = 'apple'
                WHERE "Id" IN (SELECT "DeviceId" FROM "AppleEnrollments" WHERE "DeviceId" IS NOT NULL AND "State" IN ('Authenticated', 'Enrolled', 'CheckedOut'))
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "EnrolledThrough",
                table: "Devices");
        }
    }
}
